using System.Text;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Compression;
using ExportAudit.Ingest.Config;
using ExportAudit.Ingest.Elf;
using ExportAudit.Ingest.KernelModels;
using ExportAudit.Ingest.Manifest;
using ExportAudit.Ingest.Symvers;
using ExportAudit.Ingest.Tree;
using ExportAudit.Ingest.Yaml;
using ExportAudit.Model;

namespace ExportAudit.Ingest;

/// <summary>Options for reading inputs.</summary>
public sealed record ReadOptions
{
    public int Jobs { get; init; } = Environment.ProcessorCount;
    /// <summary>Largest module file, or decompressed module, accepted.</summary>
    public long MaxModuleBytes { get; init; } = ModuleDecompressor.DefaultLimit;
    /// <summary>Called with (done, total) as module files are read, from any thread.</summary>
    public Action<int, int>? Progress { get; init; }
}

/// <summary>Everything the INPUT arguments held.</summary>
public sealed record InputSet(IReadOnlyList<KernelModule> Modules, IReadOnlyList<BuiltinModule> Builtins, IReadOnlyList<string> ImpliedSymvers);

/// <summary>
/// Turns command-line paths into kernel sources and modules. Inputs are recognised by content, not by
/// trusting names: ELF and compressed modules by magic bytes, a symvers by its rows, YAML by what its top
/// level holds. Anything unreadable becomes an <see cref="InputError"/> and the rest is still read.
/// </summary>
public sealed class InputLoader(InputErrors errors, ReadOptions? options = null)
{
    private readonly ReadOptions _options = options ?? new ReadOptions();

    public KernelSource? LoadKernel(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                return LoadKernelDirectory(path);
            }
            if (!File.Exists(path))
            {
                throw new InputException(path, null, "no such file or directory");
            }
            var head = ReadHead(path);
            if (head.Length == 0 || SymversDetector.LooksLikeSymvers(head))
            {
                return LoadSymvers(path);
            }
            if (VmlinuzReader.IsBzImage(head))
            {
                using var image = FileBytes.Open(path, _options.MaxModuleBytes);
                var (buffer, length) = VmlinuzReader.ExtractVmlinux(path, image.Span, _options.MaxModuleBytes);
                return new KernelSource(path, "vmlinuz", VmlinuxReader.Read(path, buffer.AsSpan(0, length)), KernelTraits.Unknown, null);
            }
            if (ElfView.HasMagic(head) || ModuleDecompressor.Detect(head) != CompressionKind.None)
            {
                using var bytes = OpenModuleBytes(path);
                var elf = new ElfView(path, bytes.Span);
                if (elf.Type == ElfView.ET_REL)
                {
                    var module = ElfModuleReader.Read(path, bytes.Span, ModuleNames.FromObjectPath(path), 0);
                    return new KernelSource(path, "module", module.Exports, KernelTraits.Unknown, null);
                }
                return new KernelSource(path, "vmlinux", VmlinuxReader.Read(path, bytes.Span), KernelTraits.Unknown, null);
            }
            if (ModuleTree.IsManifestFileName(path))
            {
                var documents = YamlTree.LoadFile(path);
                if (documents.Count == 1 && KernelModelReader.IsModel(documents[0]))
                {
                    var model = KernelModelReader.Read(path, (YMapping)documents[0], errors);
                    return new KernelSource(path, "model", model.Exports, model.Traits, model);
                }
                throw new InputException(path, documents.Count > 0 ? documents[0].Line : 1,
                    "not a kernel model (a YAML kernel model has a top-level 'kernel:' field)");
            }
            throw new InputException(path, null, "not a kernel source: expected Module.symvers, vmlinux, a module, a directory holding one, or a YAML kernel model");
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

    private KernelSource LoadKernelDirectory(string path)
    {
        var symvers = Path.Combine(path, "Module.symvers");
        if (File.Exists(symvers))
        {
            var source = LoadSymvers(symvers);
            return source;
        }
        if (IsKernelSourceTree(path))
        {
            return LoadSourceTree(path);
        }
        // An installed tree: its modules' exports, plus vmlinux's from build/Module.symvers when it is there.
        var listing = ModuleTree.List(path, errors);
        if (listing.Modules.Count == 0 && listing.Symvers is null)
        {
            throw new InputException(path, null, "no Module.symvers and no modules in this directory (expected a kernel build, headers or /lib/modules directory)");
        }
        var exports = new List<Export>();
        var traits = KernelTraits.Unknown;
        if (listing.Symvers is { } treeSymvers)
        {
            var source = LoadSymvers(treeSymvers);
            exports.AddRange(source.Exports);
            traits = source.Traits;
        }
        foreach (var module in ReadModuleFiles(listing.Modules))
        {
            exports.AddRange(module.Exports);
        }
        return new KernelSource(path, "tree", exports, traits, null);
    }

    /// <summary>The .config beside a kernel (a Module.symvers' directory, a build or source tree); null when there is none.</summary>
    public static KernelConfig? ConfigBeside(string kernelPath)
    {
        var dir = Directory.Exists(kernelPath) ? kernelPath : Path.GetDirectoryName(Path.GetFullPath(kernelPath)) ?? ".";
        var config = Path.Combine(dir, ".config");
        return File.Exists(config) ? KernelConfig.Read(config) : null;
    }

    /// <summary>A kernel source tree not built yet (no Module.symvers): the top-level Kbuild and include/linux are there.</summary>
    public static bool IsKernelSourceTree(string path) =>
        File.Exists(Path.Combine(path, "Kbuild")) && Directory.Exists(Path.Combine(path, "include", "linux")) && Directory.Exists(Path.Combine(path, "kernel"));

    // A source tree as a kernel: the scanner's exports. With the tree's .config (make oldconfig writes it), #if is
    // evaluated and Kbuild places each export in vmlinux or its module, and files that are not built export
    // nothing; without one, every export counts and is taken to be vmlinux's.
    private KernelSource LoadSourceTree(string path)
    {
        var configPath = Path.Combine(path, ".config");
        var config = File.Exists(configPath) ? KernelConfig.Read(configPath) : null;
        var scan = new Source.SourceScanner(errors, new Source.SourceScanOptions
        {
            Config = config,
            Arch = config is null ? null : Source.KbuildOwners.ArchOf(config),
            Jobs = _options.Jobs,
            Progress = _options.Progress,
        }).Scan(path);
        var exports = scan.KernelExports(e => config is null ? Export.VmlinuxName : e.Owner);
        return new KernelSource(path, "source tree", exports, config?.Traits() ?? KernelTraits.Unknown, null);
    }

    private KernelSource LoadSymvers(string path)
    {
        var file = SymversReader.Read(path, errors);
        var config = Path.Combine(Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".", ".config");
        var traits = File.Exists(config) ? KernelConfig.Read(config).Traits() : KernelTraits.Unknown;
        return new KernelSource(path, "symvers", file.Exports, traits, null);
    }

    /// <summary>
    /// Reads every INPUT: module files (.ko, module .o, compressed), manifests, and directories of them or
    /// whole trees. Files are read in parallel; the result keeps input order (modules.order inside a tree).
    /// </summary>
    /// <param name="sourceConfig">The kernel's .config, for the #if of modules given as source (<see cref="ConfigBeside"/>).</param>
    public InputSet LoadModules(IEnumerable<string> inputs, Func<KernelConfig?>? sourceConfig = null)
    {
        var entries = new List<object>(); // ModuleFileEntry, manifest path or SourceEntry, in input order
        var builtins = new List<BuiltinModule>();
        var symvers = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var listing = ModuleTree.List(input, errors);
                if (listing.Modules.Count == 0 && listing.Manifests.Count == 0)
                {
                    if (IsKernelSourceTree(input))
                    {
                        errors.Error(input, null, "a whole kernel source tree is not read as modules: give the directories of the modules to check (e.g. " +
                            Path.Combine(input, "drivers", "net", "phy") + "), or the tree as --kernel");
                        continue;
                    }
                    // Not built yet: an out-of-tree module's source (its imports resolve against the kernel later).
                    if (Source.ModuleSourceReader.IsModuleSource(input))
                    {
                        entries.Add(new SourceEntry(input));
                        continue;
                    }
                    errors.Error(input, null, "no modules (*.ko, *.ko.xz, *.ko.zst, *.ko.gz), manifests (*.yaml) or module sources (*.c) in this directory");
                }
                entries.AddRange(listing.Modules);
                entries.AddRange(listing.Manifests);
                builtins.AddRange(listing.Builtins);
                if (listing.Symvers is { } s)
                {
                    symvers.Add(s);
                }
            }
            else if (File.Exists(input))
            {
                entries.Add(ModuleTree.IsManifestFileName(input) ? input
                    : Source.ModuleSourceReader.IsModuleSource(input) ? new SourceEntry(input)
                    : new ModuleFileEntry(input, ModuleNames.FromObjectPath(input)));
            }
            else
            {
                errors.Error(input, null, "no such file or directory");
            }
        }

        var results = new IReadOnlyList<KernelModule>[entries.Count];
        var binaries = entries.Select((e, i) => (e, i)).Where(x => x.e is ModuleFileEntry).ToArray();
        var done = 0;
        Parallel.For(0, binaries.Length, new ParallelOptions { MaxDegreeOfParallelism = _options.Jobs }, k =>
        {
            var (entry, index) = binaries[k];
            var module = ReadModuleFile((ModuleFileEntry)entry);
            results[index] = module is null ? [] : [module];
            _options.Progress?.Invoke(Interlocked.Increment(ref done), binaries.Length);
        });
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] is string manifest)
            {
                results[i] = LoadManifestFile(manifest);
            }
            else if (entries[i] is SourceEntry source)
            {
                results[i] = Source.ModuleSourceReader.Read(source.Path, sourceConfig?.Invoke(), errors);
            }
        }
        var modules = new List<KernelModule>();
        foreach (var module in results.SelectMany(r => r))
        {
            modules.Add(module with { InputIndex = modules.Count });
        }
        return new InputSet(modules, builtins, symvers);
    }

    private sealed record SourceEntry(string Path);

    private List<KernelModule> ReadModuleFiles(IReadOnlyList<ModuleFileEntry> files)
    {
        var results = new KernelModule?[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = _options.Jobs }, i => results[i] = ReadModuleFile(files[i]));
        return results.Where(m => m is not null).ToList()!;
    }

    private KernelModule? ReadModuleFile(ModuleFileEntry entry)
    {
        try
        {
            using var bytes = OpenModuleBytes(entry.Path);
            var crcs = entry.Path.EndsWith(".o", StringComparison.Ordinal) ? KbuildCrcs.ForObject(entry.Path) : null;
            return ElfModuleReader.Read(entry.Path, bytes.Span, entry.ModpostName, 0, crcs);
        }
        catch (InputException e)
        {
            errors.Add(e.Error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Error(entry.Path, null, e.Message);
        }
        return null;
    }

    /// <summary>The module's ELF bytes, decompressed when its magic says xz, zstd or gzip.</summary>
    public FileBytes OpenModuleBytes(string path)
    {
        var bytes = FileBytes.Open(path, _options.MaxModuleBytes);
        var kind = ModuleDecompressor.Detect(bytes.Span);
        if (kind == CompressionKind.None)
        {
            return bytes;
        }
        using (bytes)
        {
            var (buffer, length) = ModuleDecompressor.Decompress(path, bytes.Span, kind, _options.MaxModuleBytes);
            return FileBytes.FromArray(buffer, length);
        }
    }

    private IReadOnlyList<KernelModule> LoadManifestFile(string path)
    {
        try
        {
            var documents = YamlTree.LoadFile(path);
            if (documents.Count > 0 && documents.All(d => d is YScalar { IsNull: true } || ManifestReader.IsManifest(d)))
            {
                var index = 0;
                return ManifestReader.Read(path, documents, errors, ref index);
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
        return [];
    }

    private static byte[] ReadHead(string path)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[4096];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return buffer[..read];
    }
}
