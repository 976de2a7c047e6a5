using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Yaml;
using ExportAudit.Model;

namespace ExportAudit.Ingest.KernelModels;

/// <summary>
/// Reads a YAML kernel model: a simulated kernel with its exports (symbol, type, owner, namespace, CRC,
/// file:line), the traits of its configuration, and the functions it is made of with what each one calls.
/// </summary>
public static class KernelModelReader
{
    private const string What = "kernel model";

    public static bool IsModel(YNode document) => document is YMapping map && map.Get("kernel") is not null;

    public static ExportAudit.Model.KernelModel Read(string path, YMapping map, InputErrors errors)
    {
        var f = new YamlFields(path, map, errors, What);
        var name = f.RequiredString("kernel");
        var version = f.OptionalString("version");
        var description = f.OptionalString("description");
        var traits = new KernelTraits
        {
            ModuleSig = f.OptionalBool("module_sig"),
            ForceLoad = f.OptionalBool("force_load"),
            AllowMissingNamespaceImports = f.OptionalBool("allow_missing_namespace_imports"),
            Vermagic = f.OptionalString("vermagic"),
        };
        var modversions = f.OptionalBool("modversions") ?? false;
        var exports = new List<Export>();
        var functions = new Dictionary<string, FunctionInfo>(StringComparer.Ordinal);
        foreach (var node in f.List("exports"))
        {
            var e = new YamlFields(path, f.AsMapping(node, "exports"), errors, What + " export");
            var symbol = e.RequiredString("symbol");
            var typeText = e.RequiredString("type");
            if (!ExportKinds.TryParse(typeText, out var kind))
            {
                throw new InputException(path, e.Node("type")!.Line, $"kernel model export: unknown type '{typeText}'");
            }
            var file = e.OptionalString("file");
            var site = file is null ? null : new Site(file, e.OptionalInt("line"));
            var crc = e.OptionalCrc("crc");
            exports.Add(new Export(symbol, kind, e.OptionalString("namespace"), e.OptionalString("owner") ?? Export.VmlinuxName,
                crc, site, new Site(path, node.Line)) { CrcAbsent = modversions && crc is null });
            var calls = e.StringList("calls");
            AddFunction(path, functions, new FunctionInfo(symbol, site, calls, Exported: true), node.Line);
            e.WarnUnknown();
        }
        foreach (var node in f.List("functions"))
        {
            var fn = new YamlFields(path, f.AsMapping(node, "functions"), errors, What + " function");
            var fname = fn.RequiredString("name");
            var file = fn.OptionalString("file");
            var site = file is null ? null : new Site(file, fn.OptionalInt("line"));
            AddFunction(path, functions, new FunctionInfo(fname, site, fn.StringList("calls"), Exported: false), node.Line);
            fn.WarnUnknown();
        }
        f.WarnUnknown();
        return new ExportAudit.Model.KernelModel(name, version, description, exports, functions, traits);
    }

    private static void AddFunction(string path, Dictionary<string, FunctionInfo> functions, FunctionInfo info, int line)
    {
        if (functions.TryGetValue(info.Name, out var existing))
        {
            // An export may list its calls, and a functions: entry may too; one definition only.
            if (existing.Calls.Count > 0 && info.Calls.Count > 0)
            {
                throw new InputException(path, line, $"kernel model: function '{info.Name}' is described twice");
            }
            functions[info.Name] = existing with
            {
                Calls = existing.Calls.Count > 0 ? existing.Calls : info.Calls,
                Definition = existing.Definition ?? info.Definition,
                Exported = existing.Exported || info.Exported,
            };
            return;
        }
        functions[info.Name] = info;
    }
}
