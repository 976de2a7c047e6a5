// Measures the ELF reading ExportAudit needs from every module of a tree, done two ways in one run:
// with ELFSharp (the well-kept package the project would otherwise use) and with ExportAudit's own
// span-based reader. The project keeps its own reader only while it is at least twice as fast.
// Usage: dotnet run -c Release --project tests/ExportAudit.Benchmarks -- /lib/modules/VERSION [rounds]
using System.Diagnostics;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ExportAudit.Ingest;
using ExportAudit.Ingest.Elf;

if (args is ["phases", var phaseRoot, var phaseKernel])
{
    // Where a tree check spends its time, phase by phase (in-process, after a warm-up run).
    for (var round = 0; round < 3; round++)
    {
        var watch = Stopwatch.StartNew();
        var errors = new ExportAudit.Diagnostics.InputErrors();
        var listing = ExportAudit.Ingest.Tree.ModuleTree.List(phaseRoot, errors);
        var tList = watch.ElapsedMilliseconds;
        var set = new InputLoader(errors).LoadModules([phaseRoot]);
        var tRead = watch.ElapsedMilliseconds;
        var result = ExportAudit.Audit.Auditor.Check(new ExportAudit.Audit.AuditRequest([phaseKernel], [phaseRoot]));
        var tCheck = watch.ElapsedMilliseconds;
        new ExportAudit.Reports.Text.TextReportWriter().Write(result, TextWriter.Null);
        var tText = watch.ElapsedMilliseconds;
        Console.WriteLine($"list {tList} ms ({listing.Modules.Count}), list+read {tRead - tList} ms ({set.Modules.Count}), whole check {tCheck - tRead} ms, text {tText - tCheck} ms");
    }
    return 0;
}
var root = args.Length > 0 ? args[0] : throw new ArgumentException("usage: ExportAudit.Benchmarks MODULES_DIR [rounds]");
var rounds = args.Length > 1 ? int.Parse(args[1]) : 3;
var files = Directory.EnumerateFiles(root, "*.ko", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
Console.WriteLine($"{files.Length} modules under {root}, single thread, best of {rounds} rounds, page cache warm");

long ours = Best(() =>
{
    long n = 0;
    foreach (var file in files)
    {
        using var bytes = FileBytes.Open(file, long.MaxValue);
        var module = ElfModuleReader.Read(file, bytes.Span, file, 0);
        n += module.Imports.Count + module.Exports.Count + module.Licenses.Count;
    }
    return n;
}, out var oursCount);

long elfsharp = Best(() =>
{
    long n = 0;
    foreach (var file in files)
    {
        using var elf = ELFReader.Load<ulong>(file);
        var sections = elf.Sections;
        var symtab = (ISymbolTable)sections.First(s => s.Type == SectionType.SymbolTable);
        foreach (var symbol in ((SymbolTable<ulong>)symtab).Entries)
        {
            if (symbol.PointedSectionIndex == 0 && symbol.Name.Length > 0 && symbol.Binding is SymbolBinding.Global or SymbolBinding.Weak)
            {
                n++;
            }
            else if (symbol.Name.StartsWith("__ksymtab_", StringComparison.Ordinal)
                     && symbol.PointedSection?.Name is "__ksymtab" or "__ksymtab_gpl")
            {
                n++;
            }
        }
        var modinfo = sections.FirstOrDefault(s => s.Name == ".modinfo");
        if (modinfo is not null)
        {
            n += Modinfo.Parse(modinfo.GetContents()).Count(e => e.Key == "license");
        }
    }
    return n;
}, out var elfsharpCount);

Console.WriteLine($"ExportAudit reader : {ours,6} ms  ({oursCount} imports+exports+licenses)");
Console.WriteLine($"ELFSharp 2.17.3    : {elfsharp,6} ms  ({elfsharpCount} imports+exports+licenses)");
Console.WriteLine($"ratio              : {(double)elfsharp / ours:F1}x");
return 0;

long Best(Func<long> work, out long result)
{
    result = work(); // warm-up: JIT and page cache
    var best = long.MaxValue;
    for (var i = 0; i < rounds; i++)
    {
        var watch = Stopwatch.StartNew();
        result = work();
        best = Math.Min(best, watch.ElapsedMilliseconds);
    }
    return best;
}
