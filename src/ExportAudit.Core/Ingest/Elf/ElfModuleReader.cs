using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Elf;

/// <summary>
/// A kernel module from its ELF bytes (.ko, or a module .o straight out of kbuild): .modinfo, exports with
/// kind, namespace and CRC, undefined symbols in symbol-table order (weak ones marked), __versions, signature.
/// </summary>
public static class ElfModuleReader
{
    private static readonly byte[] SignatureMagic = "~Module signature appended~\n"u8.ToArray();

    /// <param name="path">The file, for messages and for the module's path.</param>
    /// <param name="modpostName">The module's name as modpost knows it (tree-relative path less suffix).</param>
    /// <param name="objectCrcs">For a module .o: the #SYMVER CRCs kbuild wrote in .cmd files, or null when there are none to read.</param>
    public static KernelModule Read(string path, ReadOnlySpan<byte> data, string modpostName, int inputIndex,
        IReadOnlyDictionary<string, uint>? objectCrcs = null)
    {
        var elf = new ElfView(path, data);
        if (elf.Type != ElfView.ET_REL)
        {
            throw elf.Bad(16, $"not a relocatable object (ELF type {elf.Type}): modules are ET_REL");
        }
        var symbols = ElfExportReader.Read(elf);
        var modinfoIndex = symbols.Sections.Modinfo;
        var modinfo = modinfoIndex < 0 ? [] : Modinfo.Parse(elf.Data(elf.Section(modinfoIndex)));
        var linked = symbols.Sections.ThisModule >= 0;
        var versionsIndex = symbols.Sections.Versions;
        var (versionsState, versions) = versionsIndex >= 0
            ? (VersionsState.Present, ReadVersions(elf, elf.Data(elf.Section(versionsIndex))))
            : (linked ? VersionsState.NoSection : VersionsState.Unknown, (IReadOnlyList<KeyValuePair<string, uint>>)[]);

        var name = Modinfo.First(modinfo, "name") ?? ThisModuleName(elf, symbols.Sections.ThisModule) ?? NameFromPath(path);
        var exports = new List<Export>(symbols.Exports.Count);
        var readFrom = new Site(path, null);
        foreach (var (symbol, kind, ns) in symbols.Exports)
        {
            uint? crc = symbols.Crcs.TryGetValue(symbol, out var c) ? c : objectCrcs?.TryGetValue(symbol, out var oc) == true ? oc : null;
            // Absent (modpost's "has no CRC!") only where the CRCs should be: a linked module with __kcrctab,
            // or an object whose .cmd files kbuild wrote.
            var absent = crc is null && (symbols.HasCrcSections || objectCrcs is not null);
            exports.Add(new Export(symbol, kind, ns, modpostName, crc, null, readFrom) { CrcAbsent = absent });
        }
        return new KernelModule
        {
            Name = name,
            Path = path,
            ModpostName = modpostName,
            Licenses = Modinfo.All(modinfo, "license"),
            ImportNamespaces = Modinfo.All(modinfo, "import_ns"),
            Imports = symbols.Undefined,
            Exports = exports,
            Depends = (Modinfo.First(modinfo, "depends") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries),
            VersionsState = versionsState,
            Versions = versions,
            InTree = Modinfo.First(modinfo, "intree") == "Y",
            Signed = data.EndsWith(SignatureMagic),
            Vermagic = Modinfo.First(modinfo, "vermagic"),
            Machine = elf.Machine,
            Modinfo = modinfo,
            ReadFrom = readFrom,
            InputIndex = inputIndex,
        };
    }

    /// <summary>
    /// The name the loader prints is struct module's, in .gnu.linkonce.this_module: after `enum module_state state`
    /// and `struct list_head list` (offset 24 on 64-bit, 12 on 32-bit), as in every kernel since 2.6.
    /// Older modules have no name= in .modinfo, so this is the authority for them.
    /// </summary>
    private static string? ThisModuleName(ElfView elf, int index)
    {
        if (index < 0)
        {
            return null;
        }
        var data = elf.Data(elf.Section(index));
        var offset = elf.Is64 ? 24 : 12;
        if (data.Length <= offset)
        {
            return null;
        }
        var field = data[offset..Math.Min(data.Length, offset + 56)];
        var end = field.IndexOf((byte)0);
        return end <= 0 ? null : ElfView.Text(field[..end]);
    }

    /// <summary>__versions: struct modversion_info { unsigned long crc; char name[64 - sizeof(unsigned long)]; }.</summary>
    private static IReadOnlyList<KeyValuePair<string, uint>> ReadVersions(ElfView elf, ReadOnlySpan<byte> section)
    {
        const int entrySize = 64;
        var crcSize = elf.Is64 ? 8 : 4;
        if (section.Length % entrySize != 0)
        {
            throw elf.Bad(-1, $"__versions size {section.Length} is not a multiple of {entrySize}");
        }
        var versions = new List<KeyValuePair<string, uint>>(section.Length / entrySize);
        for (var o = 0; o < section.Length; o += entrySize)
        {
            var entry = section.Slice(o, entrySize);
            var crc = elf.Is64 ? (uint)elf.R64(entry) : elf.R32(entry);
            var name = entry[crcSize..];
            var end = name.IndexOf((byte)0);
            if (end < 0)
            {
                throw elf.Bad(-1, $"__versions entry {o / entrySize} has no NUL-terminated name");
            }
            versions.Add(new(SymbolNames.Get(name[..end]), crc));
        }
        return versions;
    }

    /// <summary>KBUILD_MODNAME of a file: its base name less suffixes, '-' made '_'.</summary>
    public static string NameFromPath(string path) =>
        ModuleNames.BaseName(ModuleNames.FromObjectPath(path.Replace('\\', '/'))).Replace('-', '_');
}
