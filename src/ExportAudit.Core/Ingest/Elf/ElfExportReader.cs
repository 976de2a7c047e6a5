using System.Text;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Elf;

/// <summary>What the symbol table of a module or vmlinux says: undefined symbols in order, exports, CRCs, namespaces.</summary>
public sealed record ElfSymbols(
    IReadOnlyList<Import> Undefined,
    IReadOnlyList<(string Name, ExportKind Kind, string? Namespace)> Exports,
    IReadOnlyDictionary<string, uint> Crcs,
    bool HasCrcSections,
    ElfSectionIndex Sections);

/// <summary>The sections a module reader needs, found in the same pass that classifies the export sections (-1: absent).</summary>
public readonly record struct ElfSectionIndex(int Modinfo, int Versions, int ThisModule);

/// <summary>
/// Reads exports the ways kernels have stored them: <c>__ksymtab_SYM</c> symbols in <c>___ksymtab[_gpl]+SYM</c>
/// sections (module .o before modpost, 6.1) or <c>__ksymtab[_gpl]</c> (linked .ko, vmlinux), namespaces from
/// <c>__kstrtabns_SYM</c> strings, CRCs from <c>__crc_SYM</c> (a u32 in <c>__kcrctab</c>, or an absolute value
/// in older kernels), and 6.5+ <c>.export_symbol</c> entries (<c>__export_symbol_SYM</c>: license, namespace).
/// </summary>
public static class ElfExportReader
{
    private enum Role : byte { None, Ksymtab, KsymtabGpl, KsymtabUnused, KsymtabUnusedGpl, KsymtabGplFuture, Kcrctab, ExportSymbol }

    public static ElfSymbols Read(ElfView elf)
    {
        var roles = new Role[elf.SectionCount];
        var symtabIndex = -1;
        var hasCrc = false;
        int modinfo = -1, versions = -1, thisModule = -1;
        var names = elf.Data(elf.Section(elf.SectionNameTable));
        for (var i = 1; i < elf.SectionCount; i++)
        {
            var section = elf.Section(i);
            if (section.Type == ElfSection.SHT_SYMTAB && symtabIndex < 0)
            {
                symtabIndex = i;
            }
            var name = elf.CString(names, section.NameOffset, "section name");
            roles[i] = Classify(name);
            hasCrc |= roles[i] == Role.Kcrctab;
            if (name.SequenceEqual(".modinfo"u8)) modinfo = i;
            else if (name.SequenceEqual("__versions"u8)) versions = i;
            else if (name.SequenceEqual(".gnu.linkonce.this_module"u8)) thisModule = i;
        }
        var symbols = elf.SymbolTable(symtabIndex, out var strtab, out var count);
        var undefined = new List<Import>();
        var exports = new List<(string, ExportKind, string?)>();
        var namespaces = new Dictionary<string, string>(StringComparer.Ordinal);
        var crcs = new Dictionary<string, uint>(StringComparer.Ordinal);
        var sparc = elf.Machine is ElfView.EM_SPARC or ElfView.EM_SPARCV9;

        for (var i = 1; i < count; i++)
        {
            var sym = elf.Symbol(symbols, i);
            var name = elf.CString(strtab, sym.NameOffset, "symbol name");
            if (name.IsEmpty)
            {
                continue;
            }
            if (sym.SectionIndex == ElfSymbol.SHN_UNDEF)
            {
                if (sym.Binding is ElfSymbol.STB_GLOBAL or ElfSymbol.STB_WEAK)
                {
                    undefined.Add(new Import(SymbolNames.Get(name), sym.Binding == ElfSymbol.STB_WEAK, ArchRegister: sparc && sym.Type == 13 /* STT_SPARC_REGISTER */));
                }
                continue;
            }
            var role = sym.SectionIndex < roles.Length ? roles[sym.SectionIndex] : Role.None;
            if (name.StartsWith("__ksymtab_"u8))
            {
                var kind = role switch
                {
                    Role.Ksymtab => ExportKind.Plain,
                    Role.KsymtabGpl => ExportKind.GplOnly,
                    Role.KsymtabUnused => ExportKind.Unused,
                    Role.KsymtabUnusedGpl => ExportKind.UnusedGpl,
                    Role.KsymtabGplFuture => ExportKind.GplFuture,
                    _ => (ExportKind?)null,
                };
                if (kind is { } k)
                {
                    exports.Add((SymbolNames.Get(name["__ksymtab_"u8.Length..]), k, null));
                }
            }
            else if (name.StartsWith("__kstrtabns_"u8))
            {
                var ns = SymbolData(elf, sym, "namespace");
                var end = ns.IndexOf((byte)0);
                if (end < 0)
                {
                    throw elf.Bad(-1, $"namespace of {ElfView.Text(name)} is not NUL-terminated");
                }
                namespaces[SymbolNames.Get(name["__kstrtabns_"u8.Length..])] = SymbolNames.Get(ns[..end]);
            }
            else if (name.StartsWith("__crc_"u8))
            {
                uint crc;
                if (sym.SectionIndex == ElfSymbol.SHN_ABS)
                {
                    crc = (uint)sym.Value;
                }
                else
                {
                    var data = SymbolData(elf, sym, "CRC");
                    if (data.Length < 4)
                    {
                        throw elf.Bad(-1, $"CRC of {ElfView.Text(name)} is cut off");
                    }
                    crc = elf.R32(data);
                }
                crcs[SymbolNames.Get(name["__crc_"u8.Length..])] = crc;
            }
            else if (role == Role.ExportSymbol && name.StartsWith("__export_symbol_"u8))
            {
                // 6.5+: the license ("" or "GPL") and the namespace follow the label as two strings.
                var data = SymbolData(elf, sym, "export");
                var licenseEnd = data.IndexOf((byte)0);
                var rest = licenseEnd < 0 ? default : data[(licenseEnd + 1)..];
                var nsEnd = rest.IndexOf((byte)0);
                if (licenseEnd < 0 || nsEnd < 0)
                {
                    throw elf.Bad(-1, $"{ElfView.Text(name)} is not two NUL-terminated strings");
                }
                var gpl = data[..licenseEnd].SequenceEqual("GPL"u8);
                var ns = rest[..nsEnd];
                exports.Add((ElfView.Text(name["__export_symbol_"u8.Length..]), gpl ? ExportKind.GplOnly : ExportKind.Plain, ns.IsEmpty ? null : ElfView.Text(ns)));
            }
        }

        for (var i = 0; i < exports.Count; i++)
        {
            var (name, kind, ns) = exports[i];
            if (ns is null && namespaces.TryGetValue(name, out var fromStrtab) && fromStrtab.Length > 0)
            {
                exports[i] = (name, kind, fromStrtab);
            }
        }
        return new ElfSymbols(undefined, exports, crcs, hasCrc, new ElfSectionIndex(modinfo, versions, thisModule));
    }

    // The bytes a symbol points at: section-relative in relocatable objects, an address in linked images.
    private static ReadOnlySpan<byte> SymbolData(ElfView elf, ElfSymbol sym, string what)
    {
        if (sym.SectionIndex == ElfSymbol.SHN_ABS || sym.SectionIndex >= elf.SectionCount)
        {
            throw elf.Bad(-1, $"{what} symbol points at no section ({sym.SectionIndex})");
        }
        var section = elf.Section(sym.SectionIndex);
        var data = elf.Data(section);
        var offset = elf.Type == ElfView.ET_REL ? sym.Value : sym.Value - section.Address;
        if (offset >= (ulong)data.Length)
        {
            throw elf.Bad(-1, $"{what} symbol at {sym.Value:x} is outside its section {section.Index}");
        }
        return data[(int)offset..];
    }

    private static Role Classify(ReadOnlySpan<byte> name)
    {
        if (name.StartsWith("___ksymtab_gpl+"u8) || name.SequenceEqual("__ksymtab_gpl"u8)) return Role.KsymtabGpl;
        if (name.StartsWith("___ksymtab+"u8) || name.SequenceEqual("__ksymtab"u8)) return Role.Ksymtab;
        if (name.SequenceEqual("__ksymtab_unused"u8) || name.StartsWith("___ksymtab_unused+"u8)) return Role.KsymtabUnused;
        if (name.SequenceEqual("__ksymtab_unused_gpl"u8) || name.StartsWith("___ksymtab_unused_gpl+"u8)) return Role.KsymtabUnusedGpl;
        if (name.SequenceEqual("__ksymtab_gpl_future"u8) || name.StartsWith("___ksymtab_gpl_future+"u8)) return Role.KsymtabGplFuture;
        if (name.StartsWith("__kcrctab"u8) || name.StartsWith("___kcrctab"u8)) return Role.Kcrctab;
        if (name.SequenceEqual(".export_symbol"u8)) return Role.ExportSymbol;
        return Role.None;
    }
}
