using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Yaml;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Manifest;

/// <summary>
/// Reads YAML module manifests: the facts of a module binary without the binary. One mapping with
/// <c>module:</c> per module; a file may hold one, a list of them, or several YAML documents.
/// </summary>
public static class ManifestReader
{
    private const string What = "manifest";

    public static IReadOnlyList<KernelModule> Read(string path, IReadOnlyList<YNode> documents, InputErrors errors, ref int inputIndex)
    {
        var modules = new List<KernelModule>();
        foreach (var document in documents)
        {
            switch (document)
            {
                case YMapping map:
                    modules.Add(ReadModule(path, map, errors, inputIndex++));
                    break;
                case YSequence list:
                    // One bad entry of a list costs that entry, not the file.
                    foreach (var item in list.Items)
                    {
                        try
                        {
                            var map = item as YMapping ?? throw new InputException(path, item.Line, "manifest: list entries must be module mappings");
                            modules.Add(ReadModule(path, map, errors, inputIndex++));
                        }
                        catch (InputException e)
                        {
                            errors.Add(e.Error);
                        }
                    }
                    break;
                case YScalar { IsNull: true }:
                    break;
                default:
                    throw new InputException(path, document.Line, "manifest: expected a module mapping or a list of them");
            }
        }
        return modules;
    }

    public static bool IsManifest(YNode document) =>
        document is YMapping map && map.Get("module") is not null
        || document is YSequence seq && seq.Items.Any(i => i is YMapping m && m.Get("module") is not null);

    private static KernelModule ReadModule(string path, YMapping map, InputErrors errors, int inputIndex)
    {
        var f = new YamlFields(path, map, errors, What);
        var name = f.RequiredString("module");
        var objectPath = f.OptionalString("path");
        var modpostName = objectPath is null ? name : ModuleNames.FromObjectPath(objectPath);
        var exports = new List<Export>();
        foreach (var node in f.List("exports"))
        {
            exports.Add(ReadExport(path, f.AsMapping(node, "exports"), errors, modpostName));
        }
        var imports = new List<Import>();
        foreach (var node in f.List("imports"))
        {
            imports.Add(node switch
            {
                YScalar { IsNull: false } s => new Import(s.Value),
                YMapping m => ReadImport(path, m, errors),
                _ => throw new InputException(path, node.Line, "manifest: 'imports' entries must be symbol names or {symbol, weak}"),
            });
        }
        var (versionsState, versions) = ReadVersions(path, f);
        var module = new KernelModule
        {
            Name = name,
            Path = objectPath ?? path,
            ModpostName = modpostName,
            Licenses = f.StringOrList("license"),
            ImportNamespaces = f.StringList("import_ns"),
            Imports = imports,
            Exports = exports,
            Depends = f.StringList("depends"),
            VersionsState = versionsState,
            Versions = versions,
            InTree = f.OptionalBool("intree"),
            Signed = f.OptionalBool("signed"),
            Vermagic = f.OptionalString("vermagic"),
            ReadFrom = new Site(path, map.Line),
            InputIndex = inputIndex,
        };
        f.WarnUnknown();
        return module;
    }

    private static Import ReadImport(string path, YMapping map, InputErrors errors)
    {
        var f = new YamlFields(path, map, errors, What + " import");
        var import = new Import(f.RequiredString("symbol"), f.OptionalBool("weak") ?? false);
        f.WarnUnknown();
        return import;
    }

    private static Export ReadExport(string path, YMapping map, InputErrors errors, string owner)
    {
        var f = new YamlFields(path, map, errors, What + " export");
        var symbol = f.RequiredString("symbol");
        var typeText = f.OptionalString("type") ?? "EXPORT_SYMBOL";
        if (!ExportKinds.TryParse(typeText, out var kind))
        {
            throw new InputException(path, f.Node("type")!.Line, $"manifest export: unknown type '{typeText}'");
        }
        var file = f.OptionalString("file");
        var line = f.OptionalInt("line");
        var export = new Export(symbol, kind, f.OptionalString("namespace"), owner, f.OptionalCrc("crc"),
            file is null ? null : new Site(file, line), new Site(path, map.Line));
        f.WarnUnknown();
        return export;
    }

    // versions: absent → unknown (CRC checks skipped); false → the module has no __versions section;
    // a mapping → the section's entries, in order.
    private static (VersionsState, IReadOnlyList<KeyValuePair<string, uint>>) ReadVersions(string path, YamlFields f)
    {
        switch (f.Node("versions"))
        {
            case null:
            case YScalar { IsNull: true }:
                return (VersionsState.Unknown, []);
            case YScalar { Plain: true, Value: "false" or "none" }:
                return (VersionsState.NoSection, []);
            case YMapping map:
                var entries = new List<KeyValuePair<string, uint>>();
                foreach (var (key, value) in map.Entries)
                {
                    entries.Add(new(key.Value, f.ParseCrc(value, "versions." + key.Value)));
                }
                return (VersionsState.Present, entries);
            case var other:
                throw new InputException(path, other.Line, "manifest: 'versions' must map symbols to CRCs, or be false for a module without __versions");
        }
    }
}
