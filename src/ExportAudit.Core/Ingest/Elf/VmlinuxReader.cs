using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Elf;

/// <summary>
/// The exports of vmlinux. With a symbol table, the same symbols as a module's; stripped (the vmlinux inside
/// a distribution's vmlinuz has none), the <c>__ksymtab</c> and <c>__ksymtab_gpl</c> entries are decoded:
/// 32-bit place-relative offsets (CONFIG_HAVE_ARCH_PREL32_RELOCATIONS, e.g. x86-64) or absolute pointers,
/// whichever points into <c>__ksymtab_strings</c> for every entry; CRCs from the parallel <c>__kcrctab</c> arrays
/// (both sorted by name by the linker script).
/// </summary>
public static class VmlinuxReader
{
    public static IReadOnlyList<Export> Read(string path, ReadOnlySpan<byte> data)
    {
        var elf = new ElfView(path, data);
        var readFrom = new Site(path, null);
        var hasSymtab = false;
        for (var i = 1; i < elf.SectionCount && !hasSymtab; i++)
        {
            hasSymtab = elf.Section(i).Type == ElfSection.SHT_SYMTAB;
        }
        if (hasSymtab)
        {
            var symbols = ElfExportReader.Read(elf);
            if (symbols.Exports.Count > 0)
            {
                return symbols.Exports.Select(e => new Export(e.Name, e.Kind, e.Namespace, Export.VmlinuxName,
                    symbols.Crcs.TryGetValue(e.Name, out var crc) ? crc : null, null, readFrom)).ToArray();
            }
        }
        var exports = new List<Export>();
        Decode(elf, "__ksymtab"u8, "__kcrctab"u8, ExportKind.Plain, readFrom, exports);
        Decode(elf, "__ksymtab_gpl"u8, "__kcrctab_gpl"u8, ExportKind.GplOnly, readFrom, exports);
        if (exports.Count == 0)
        {
            throw elf.Bad(-1, "no exports found (no __ksymtab symbols or sections): not a vmlinux?");
        }
        return exports;
    }

    private static void Decode(ElfView elf, ReadOnlySpan<byte> tableName, ReadOnlySpan<byte> crcName, ExportKind kind, Site readFrom, List<Export> exports)
    {
        var tableIndex = elf.FindSection(tableName);
        var stringsIndex = elf.FindSection("__ksymtab_strings"u8);
        if (tableIndex < 0 || stringsIndex < 0)
        {
            return;
        }
        var table = elf.Section(tableIndex);
        var strings = elf.Section(stringsIndex);
        var tableData = elf.Data(table);
        var stringData = elf.Data(strings);
        var crcIndex = elf.FindSection(crcName);
        var crcData = crcIndex < 0 ? default : elf.Data(elf.Section(crcIndex));

        var pointer = elf.Is64 ? 8 : 4;
        // Relative layout first: 3 x s32 per entry; else 3 pointers.
        var entries = TryDecode(elf, tableData, table.Address, stringData, strings.Address, 12, relative: true)
                      ?? TryDecode(elf, tableData, table.Address, stringData, strings.Address, 3 * pointer, relative: false)
                      ?? throw elf.Bad((long)table.Offset, $"{ElfView.Text(tableName)}: entries do not point into __ksymtab_strings");
        for (var i = 0; i < entries.Count; i++)
        {
            uint? crc = crcData.Length >= (i + 1) * 4 ? elf.R32(crcData.Slice(i * 4, 4)) : null;
            exports.Add(new Export(entries[i].Name, kind, entries[i].Namespace, Export.VmlinuxName, crc, null, readFrom));
        }
    }

    private static List<(string Name, string? Namespace)>? TryDecode(ElfView elf, ReadOnlySpan<byte> table, ulong tableAddress,
        ReadOnlySpan<byte> strings, ulong stringsAddress, int entrySize, bool relative)
    {
        if (table.Length == 0 || table.Length % entrySize != 0)
        {
            return null;
        }
        var field = entrySize / 3;
        var result = new List<(string, string?)>(table.Length / entrySize);
        for (var o = 0; o < table.Length; o += entrySize)
        {
            var name = Target(elf, table, tableAddress, o + field, field, relative, strings, stringsAddress);
            var ns = Target(elf, table, tableAddress, o + 2 * field, field, relative, strings, stringsAddress);
            if (name is null)
            {
                return null;
            }
            result.Add((name, string.IsNullOrEmpty(ns) ? null : ns));
        }
        return result;
    }

    private static string? Target(ElfView elf, ReadOnlySpan<byte> table, ulong tableAddress, int offset, int size, bool relative,
        ReadOnlySpan<byte> strings, ulong stringsAddress)
    {
        var raw = table.Slice(offset, size);
        ulong address;
        if (relative)
        {
            var delta = (int)elf.R32(raw);
            if (delta == 0)
            {
                return null;
            }
            address = (ulong)((long)tableAddress + offset + delta);
        }
        else
        {
            address = size == 8 ? elf.R64(raw) : elf.R32(raw);
            if (address == 0)
            {
                return "";
            }
        }
        if (address < stringsAddress || address - stringsAddress >= (ulong)strings.Length)
        {
            return null;
        }
        var rest = strings[(int)(address - stringsAddress)..];
        var end = rest.IndexOf((byte)0);
        return end < 0 ? null : ElfView.Text(rest[..end]);
    }
}
