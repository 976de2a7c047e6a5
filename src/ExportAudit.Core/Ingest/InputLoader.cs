using System.Text;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Config;
using ExportAudit.Ingest.KernelModels;
using ExportAudit.Ingest.Manifest;
using ExportAudit.Ingest.Symvers;
using ExportAudit.Ingest.Yaml;
using ExportAudit.Model;

namespace ExportAudit.Ingest;

/// <summary>
/// Turns command-line paths into kernel sources and modules. Inputs are recognised by content, not by
/// trusting names: a symvers by its rows, YAML by what its top level holds. Anything unreadable becomes an
/// <see cref="InputError"/> and the rest is still read.
/// </summary>
public sealed class InputLoader(InputErrors errors)
{
    private static readonly string[] YamlExtensions = [".yaml", ".yml"];

    public KernelSource? LoadKernel(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                var symvers = System.IO.Path.Combine(path, "Module.symvers");
                if (!File.Exists(symvers))
                {
                    throw new InputException(path, null, "no Module.symvers in this directory (expected a kernel build or headers directory)");
                }
                var config = System.IO.Path.Combine(path, ".config");
                var traits = File.Exists(config) ? KernelConfigReader.Read(config) : KernelTraits.Unknown;
                var file = SymversReader.Read(symvers, errors);
                return new KernelSource(symvers, "symvers", file.Exports, traits, null);
            }
            if (!File.Exists(path))
            {
                throw new InputException(path, null, "no such file or directory");
            }
            var head = ReadHead(path);
            if (head.Length == 0 || SymversDetector.LooksLikeSymvers(head))
            {
                var file = SymversReader.Read(path, errors);
                var config = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? ".", ".config");
                var traits = File.Exists(config) ? KernelConfigReader.Read(config) : KernelTraits.Unknown;
                return new KernelSource(path, "symvers", file.Exports, traits, null);
            }
            if (IsYamlName(path))
            {
                var documents = LoadYaml(path);
                if (documents.Count == 1 && KernelModelReader.IsModel(documents[0]))
                {
                    var model = KernelModelReader.Read(path, (YMapping)documents[0], errors);
                    return new KernelSource(path, "model", model.Exports, model.Traits, model);
                }
                throw new InputException(path, documents.Count > 0 ? documents[0].Line : 1,
                    "not a kernel model (a YAML kernel model has a top-level 'kernel:' field)");
            }
            throw new InputException(path, null, "not a kernel source: expected Module.symvers, a directory holding one, or a YAML kernel model");
        }
        catch (InputException e)
        {
            errors.Add(e.Error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Error(path, null, e.Message);
        }
        return null;
    }

    /// <summary>Reads every INPUT in order; directories are walked in ordinal name order, so the result never depends on the file system.</summary>
    public IReadOnlyList<KernelModule> LoadModules(IEnumerable<string> inputs)
    {
        var modules = new List<KernelModule>();
        var index = 0;
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var files = Directory.EnumerateFiles(input, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
                    .Where(IsYamlName)
                    .Select(p => p.Replace('\\', '/'))
                    .Order(StringComparer.Ordinal)
                    .ToArray();
                if (files.Length == 0)
                {
                    errors.Error(input, null, "no module manifests (*.yaml, *.yml) in this directory");
                }
                foreach (var file in files)
                {
                    LoadModuleFile(file, modules, ref index);
                }
            }
            else if (File.Exists(input))
            {
                LoadModuleFile(input, modules, ref index);
            }
            else
            {
                errors.Error(input, null, "no such file or directory");
            }
        }
        return modules;
    }

    private void LoadModuleFile(string path, List<KernelModule> modules, ref int index)
    {
        try
        {
            var documents = LoadYaml(path);
            if (documents.Count > 0 && documents.All(d => d is YScalar { IsNull: true } || ManifestReader.IsManifest(d)))
            {
                modules.AddRange(ManifestReader.Read(path, documents, errors, ref index));
                return;
            }
            if (documents.Count == 1 && KernelModelReader.IsModel(documents[0]))
            {
                throw new InputException(path, documents[0].Line, "this is a kernel model: pass it with --kernel");
            }
            throw new InputException(path, documents.Count > 0 ? documents[0].Line : 1,
                "not a module manifest (a manifest has a top-level 'module:' field, or is a list of such mappings)");
        }
        catch (InputException e)
        {
            errors.Add(e.Error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            errors.Error(path, null, e.Message);
        }
    }

    private static IReadOnlyList<YNode> LoadYaml(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().IndexOf((byte)0) >= 0)
        {
            throw new InputException(path, null, "binary data, not YAML", bytes.AsSpan().IndexOf((byte)0));
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InputException(path, null, "not valid UTF-8 text");
        }
        return YamlTree.LoadAll(path, new StringReader(text));
    }

    private static bool IsYamlName(string path) =>
        YamlExtensions.Any(ext => path.EndsWith(ext, StringComparison.OrdinalIgnoreCase));

    private static byte[] ReadHead(string path)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[512];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return buffer[..read];
    }
}
