using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Compression;
using ExportAudit.Ingest.Elf;
using ExportAudit.Ingest.KernelModels;
using ExportAudit.Ingest.Manifest;
using ExportAudit.Ingest.Symvers;
using ExportAudit.Ingest.Yaml;

namespace ExportAudit.Fuzz;

/// <summary>
/// One entry point per parser. Each reads an input the way ExportAudit does and may only fail with an
/// <see cref="InputException"/> (reported as one line, exit 2); any other exception is a crash the fuzzer keeps.
/// The same targets run over seed corpora and crash regressions in the test suite.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["elf"] = Elf,
        ["vmlinux"] = Vmlinux,
        ["modinfo"] = bytes => Modinfo.Parse(bytes),
        ["symvers"] = Symvers,
        ["yaml"] = Yaml,
        ["compressed"] = Compressed,
        ["csource"] = CSource,
        ["patch"] = Patch,
    };

    // EXPORT and MODULE_, the scanner's marks: where its next candidate may be. Made at the first input, not in the
    // static constructor: the instrumented library must not run before the fuzzer has mapped its coverage memory.
    private static ExportAudit.Ingest.Source.NeedleSet? s_markSet;

    private static readonly string ModuleSourceFile = Path.Combine(Directory.CreateTempSubdirectory("exportaudit-fuzz-").FullName, "fuzz.c");

    // The scanner and the function extractor (the call graph) over one file, and the call graph's sweep, which must
    // find what the extractor finds (a disagreement is a crash); then the same file as a module given as source
    // (declarations, uses, #if), resolved against a made-up export table.
    private static void CSource(byte[] bytes)
    {
        new ExportAudit.Ingest.Source.SourceScanner(new InputErrors(), new ExportAudit.Ingest.Source.SourceScanOptions()).ScanContent("fuzz.c", bytes);
        // The skim's quick answer for a preprocessor line against the tokenizing one, at every '#'.
        var found = new List<(int At, int Needle)>();
        (s_markSet ??= new(ExportAudit.Ingest.Source.SourceScanner.Marks)).FindAll(bytes, found);
        var marks = found.Select(m => m.At).Order().ToArray();
        for (var hash = Array.IndexOf(bytes, (byte)'#'); hash >= 0; hash = Array.IndexOf(bytes, (byte)'#', hash + 1))
        {
            var next = Array.FindIndex(marks, m => m > hash); // the first mark after the '#'
            var candidate = next < 0 ? -1 : marks[next];
            while (candidate > hash + 1 && ExportAudit.Ingest.Source.CTokenizer.IsIdentPart(bytes[candidate - 1])) candidate--;
            var quick = ExportAudit.Ingest.Source.SkippableDirective.Test(bytes, hash + 1, candidate < 0 ? int.MaxValue : candidate, out var quickEnd, out var quickInclude);
            var slow = ExportAudit.Ingest.Source.SkippableDirective.LongWay(bytes, hash + 1, out var slowEnd, out var slowInclude);
            if (quick != slow || quick && (quickEnd, quickInclude) != (slowEnd, slowInclude))
            {
                throw new InvalidOperationException($"the quick and the tokenizing directive answers disagree at {hash}");
            }
        }
        ExportAudit.Ingest.Source.FunctionExtractor.Extract("fuzz.c", bytes);
        foreach (var assembly in new[] { false, true })
        {
            var extracted = new ExportAudit.Ingest.Source.NameHashSet();
            var functions = ExportAudit.Ingest.Source.FunctionExtractor.Extract("fuzz.c", bytes, null, null, assembly, withCalls: false, usedHashes: extracted);
            var swept = new ExportAudit.Ingest.Source.NameHashSet();
            var globals = assembly ? null : new List<string>();
            ExportAudit.Ingest.Source.UseSweep.Run(bytes, assembly, swept, globals);
            if (!extracted.ToArray().ToHashSet().SetEquals(swept.ToArray())
                || !assembly && !functions.Where(f => !f.IsStatic).Select(f => f.Name).SequenceEqual(globals!))
            {
                throw new InvalidOperationException($"the call graph's sweep and the extractor disagree (assembly: {assembly})");
            }
        }
        File.WriteAllBytes(ModuleSourceFile, bytes);
        var errors = new InputErrors();
        foreach (var module in ExportAudit.Ingest.Source.ModuleSourceReader.Read(ModuleSourceFile, null, errors))
        {
            ExportAudit.Ingest.Source.ModuleSourceReader.Resolve(module, name => name.Length % 3 == 0, null, errors);
        }
    }

    // Mail, MIME and diff parsing, then the whole hunks-only review of what was parsed.
    private static void Patch(byte[] bytes)
    {
        var errors = new InputErrors();
        var patches = ExportAudit.Ingest.Patch.PatchReader.Read("fuzz.patch", bytes, errors);
        ExportAudit.Review.PatchReviewer.Review(patches, new ExportAudit.Review.ReviewInputs { Jobs = 1 }, errors);
    }

    private static void Expected(Action action)
    {
        try
        {
            action();
        }
        catch (InputException)
        {
            // The bad-input contract: a one-line error naming the file. Anything else escapes.
        }
    }

    private static void Elf(byte[] bytes) => Expected(() => ElfModuleReader.Read("fuzz.ko", bytes, "fuzz", 0));

    private static void Vmlinux(byte[] bytes) => Expected(() => VmlinuxReader.Read("vmlinux", bytes));

    private static void Symvers(byte[] bytes)
    {
        var text = new System.Text.UTF8Encoding(false, false).GetString(bytes);
        SymversReader.Read("Module.symvers", new StringReader(text), new InputErrors());
    }

    private static void Yaml(byte[] bytes) => Expected(() =>
    {
        var text = new System.Text.UTF8Encoding(false, false).GetString(bytes);
        var errors = new InputErrors();
        var documents = YamlTree.LoadAll("fuzz.yaml", new StringReader(text));
        if (documents.Count == 1 && KernelModelReader.IsModel(documents[0]))
        {
            KernelModelReader.Read("fuzz.yaml", (YMapping)documents[0], errors);
        }
        else if (documents.All(d => d is YScalar { IsNull: true } || ManifestReader.IsManifest(d)))
        {
            var index = 0;
            ManifestReader.Read("fuzz.yaml", documents, errors, ref index);
        }
    });

    private static void Compressed(byte[] bytes) => Expected(() =>
    {
        var kind = ModuleDecompressor.Detect(bytes);
        if (kind != CompressionKind.None)
        {
            var (buffer, length) = ModuleDecompressor.Decompress("fuzz.ko.x", bytes, kind, 16 << 20);
            ElfModuleReader.Read("fuzz.ko", buffer.AsSpan(0, length), "fuzz", 0);
        }
    });
}
