using ExportAudit.Model;

namespace ExportAudit.Ingest.Elf;

/// <summary>
/// A module's call graph from its relocations: each defined function (STT_FUNC) and the symbols the relocations
/// inside its code range name — imports by name, the module's own functions by name or through a section symbol
/// plus addend. A call to a static function of the same section needs no relocation (the assembler resolves
/// it), so such helpers are invisible; helpers in other sections (.init.text, .text.unlikely, with
/// -ffunction-sections every one) are followed.
/// </summary>
public sealed class ElfCallGraph : ICallGraph
{
    private const uint SHT_RELA = 4, SHT_REL = 9;
    private const ulong SHF_EXECINSTR = 4;
    private const int STT_FUNC = 2, STT_SECTION = 3;

    private readonly Dictionary<string, FunctionInfo> _functions;

    private ElfCallGraph(Dictionary<string, FunctionInfo> functions) => _functions = functions;

    public IEnumerable<FunctionInfo> Functions => _functions.Values;

    public FunctionInfo? Helper(FunctionInfo caller, string callee) => _functions.TryGetValue(callee, out var f) && !f.Exported ? f : null;

    // A module cannot call kernel functions that are not exported: it would not link.
    public bool IsUnexportedCore(FunctionInfo caller, string callee, out string? definedAt)
    {
        definedAt = null;
        return false;
    }

    public static ElfCallGraph Read(string path, ReadOnlySpan<byte> data, IReadOnlySet<string> exported)
    {
        var elf = new ElfView(path, data);
        var symtabIndex = -1;
        for (var i = 1; i < elf.SectionCount && symtabIndex < 0; i++)
        {
            if (elf.Section(i).Type == ElfSection.SHT_SYMTAB) symtabIndex = i;
        }
        var symbols = elf.SymbolTable(symtabIndex, out var strtab, out var count);

        // Functions per section, sorted by address, for "which function holds this offset".
        var bySection = new Dictionary<int, List<(ulong Start, ulong End, string Name)>>();
        var names = new string?[count];
        var types = new int[count];
        var sections = new int[count];
        var values = new ulong[count];
        for (var i = 1; i < count; i++)
        {
            var sym = elf.Symbol(symbols, i);
            var name = elf.CString(strtab, sym.NameOffset, "symbol name");
            names[i] = name.IsEmpty ? null : SymbolNames.Get(name);
            types[i] = sym.Type;
            sections[i] = sym.SectionIndex;
            values[i] = sym.Value;
            if (sym.Type == STT_FUNC && sym.SectionIndex is > 0 and < ElfSymbol.SHN_ABS && names[i] is { } fn)
            {
                if (!bySection.TryGetValue(sym.SectionIndex, out var list))
                {
                    bySection[sym.SectionIndex] = list = [];
                }
                list.Add((sym.Value, sym.Value + Math.Max(sym.Size, 1), fn));
            }
        }
        foreach (var list in bySection.Values)
        {
            list.Sort((a, b) => a.Start.CompareTo(b.Start));
        }

        var calls = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var r = 1; r < elf.SectionCount; r++)
        {
            var rel = elf.Section(r);
            if (rel.Type is not (SHT_RELA or SHT_REL) || rel.Link != symtabIndex || rel.Info == 0 || rel.Info >= elf.SectionCount)
            {
                continue;
            }
            var target = elf.Section((int)rel.Info);
            if ((target.Flags & SHF_EXECINSTR) == 0 || !bySection.TryGetValue(target.Index, out var holders))
            {
                continue; // data relocations (__ksymtab, ops tables) are not calls
            }
            var rela = rel.Type == SHT_RELA;
            var size = elf.Is64 ? (rela ? 24 : 16) : (rela ? 12 : 8);
            var entries = elf.Data(rel);
            for (var o = 0; o + size <= entries.Length; o += size)
            {
                var e = entries.Slice(o, size);
                ulong offset, info;
                long addend;
                if (elf.Is64)
                {
                    offset = elf.R64(e);
                    info = elf.R64(e[8..]);
                    addend = rela ? (long)elf.R64(e[16..]) : 0;
                }
                else
                {
                    offset = elf.R32(e);
                    info = elf.R32(e[4..]);
                    addend = rela ? (int)elf.R32(e[8..]) : 0;
                }
                var symIndex = elf.Is64 ? (long)(info >> 32) : (long)(info >> 8);
                if (symIndex <= 0 || symIndex >= count || Holder(holders, offset) is not { } caller)
                {
                    continue;
                }
                var callee = types[symIndex] == STT_SECTION
                    // A section symbol plus addend: the function at that place (PC-relative calls add -4, so look there too).
                    ? bySection.TryGetValue(sections[symIndex], out var inSection) ? Holder(inSection, (ulong)addend) ?? Holder(inSection, (ulong)(addend + 4)) : null
                    : names[symIndex];
                if (callee is null || callee == caller || IsCompilerInserted(callee))
                {
                    continue;
                }
                if (!calls.TryGetValue(caller, out var list))
                {
                    calls[caller] = list = [];
                }
                if (!list.Contains(callee))
                {
                    list.Add(callee);
                }
            }
        }

        var functions = new Dictionary<string, FunctionInfo>(StringComparer.Ordinal);
        var file = new Site(Path.GetFileName(path), null); // chains read "vendor_map (vendor.ko) -> ..."

        foreach (var (section, list) in bySection)
        {
            foreach (var (start, _, name) in list)
            {
                functions.TryAdd(name, new FunctionInfo(name, file, calls.TryGetValue(name, out var c) ? c : [], exported.Contains(name)));
            }
        }
        return new ElfCallGraph(functions);
    }

    // Calls the compiler adds to every function (ftrace, retpolines, return thunks, stack protector): not the
    // function's own work, and they would make every wrapper look less thin.
    private static bool IsCompilerInserted(string name) => name is "__fentry__" or "mcount" or "_mcount" or "__x86_return_thunk" or "__stack_chk_fail"
        || name.StartsWith("__x86_indirect_thunk_", StringComparison.Ordinal) || name.StartsWith("__sanitizer_", StringComparison.Ordinal)
        || name.StartsWith("__asan_", StringComparison.Ordinal) || name.StartsWith("__tsan_", StringComparison.Ordinal);

    private static string? Holder(List<(ulong Start, ulong End, string Name)> functions, ulong offset)
    {
        int lo = 0, hi = functions.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (functions[mid].Start <= offset) lo = mid + 1;
            else hi = mid - 1;
        }
        return hi >= 0 && offset < functions[hi].End ? functions[hi].Name : null;
    }
}
