using System.Buffers.Binary;
using System.Text;

namespace ExportAudit.Tests.Support;

/// <summary>
/// Writes a small relocatable ELF module of any class and byte order: a .modinfo, a GPL-only export with a
/// namespace, a __versions entry, struct module's name, and global and weak undefined symbols. For the
/// combination no Debian kernel ships (ELF32 big-endian) and for damaged-input tests; readelf and kmod's
/// modinfo, which read any ELF, are its oracles.
/// </summary>
public static class ElfFixture
{
    public const string Modinfo = "license=GPL\0license=Proprietary\0import_ns=FIX_NS\0depends=dep_a,dep_b\0name=fixture\0vermagic=6.1.0 SMP mod_unload \0";

    private sealed record Sym(string Name, int Section, ulong Value, byte Info);

    public static byte[] Build(bool is64, bool bigEndian, ushort machine)
    {
        var sections = new List<(string Name, uint Type, byte[] Data, uint Link, uint Info, ulong EntSize)>();
        var versions = new byte[64];
        Write(versions, 0, is64 ? 8 : 4, 0x1234abcdUL, bigEndian);
        Encoding.ASCII.GetBytes("module_layout").CopyTo(versions, is64 ? 8 : 4);
        var thisModule = new byte[is64 ? 128 : 96];
        Encoding.ASCII.GetBytes("fixture").CopyTo(thisModule, is64 ? 24 : 12);
        sections.Add((".modinfo", 1, Encoding.ASCII.GetBytes(Modinfo), 0, 0, 0));                           // 1
        sections.Add(("__ksymtab_gpl", 1, new byte[is64 ? 12 : 12], 0, 0, 0));                              // 2
        sections.Add(("__ksymtab_strings", 1, Encoding.ASCII.GetBytes("fixture_fn\0FIX_EXPORT_NS\0"), 0, 0, 0)); // 3
        sections.Add(("__versions", 1, versions, 0, 0, 0));                                               // 4
        sections.Add((".gnu.linkonce.this_module", 1, thisModule, 0, 0, 0));                              // 5
        var symbols = new List<Sym>
        {
            new("__kstrtabns_fixture_fn", 3, 11, 0x00),  // LOCAL NOTYPE
            new("__ksymtab_fixture_fn", 2, 0, 0x11),     // GLOBAL OBJECT
            new("printk", 0, 0, 0x10),                   // GLOBAL undefined
            new("maybe_there", 0, 0, 0x20),              // WEAK undefined
            new("__this_module", 0, 0, 0x10),
        };
        var strtab = new MemoryStream();
        strtab.WriteByte(0);
        var entry = is64 ? 24 : 16;
        var symtab = new byte[entry * (symbols.Count + 1)];
        for (var i = 0; i < symbols.Count; i++)
        {
            var s = symbols[i];
            var nameOffset = (uint)strtab.Position;
            strtab.Write(Encoding.ASCII.GetBytes(s.Name + "\0"));
            var o = entry * (i + 1);
            Write(symtab, o, 4, nameOffset, bigEndian);
            if (is64)
            {
                symtab[o + 4] = s.Info;
                Write(symtab, o + 6, 2, (ulong)s.Section, bigEndian);
                Write(symtab, o + 8, 8, s.Value, bigEndian);
            }
            else
            {
                Write(symtab, o + 4, 4, s.Value, bigEndian);
                symtab[o + 12] = s.Info;
                Write(symtab, o + 14, 2, (ulong)s.Section, bigEndian);
            }
        }
        sections.Add((".symtab", 2, symtab, 7, 2, (ulong)entry));                                          // 6
        sections.Add((".strtab", 3, strtab.ToArray(), 0, 0, 0));                                            // 7
        var shstrtab = new MemoryStream();
        shstrtab.WriteByte(0);
        var nameOffsets = new List<uint>();
        foreach (var name in sections.Select(s => s.Name).Append(".shstrtab"))
        {
            nameOffsets.Add((uint)shstrtab.Position);
            shstrtab.Write(Encoding.ASCII.GetBytes(name + "\0"));
        }
        sections.Add((".shstrtab", 3, shstrtab.ToArray(), 0, 0, 0));                                        // 8

        var header = is64 ? 64 : 52;
        var data = new MemoryStream();
        data.Write(new byte[header]);
        var offsets = new List<long>();
        foreach (var s in sections)
        {
            while (data.Position % 8 != 0) data.WriteByte(0);
            offsets.Add(data.Position);
            data.Write(s.Data);
        }
        while (data.Position % 8 != 0) data.WriteByte(0);
        var shoff = data.Position;
        var shentsize = is64 ? 64 : 40;
        data.Write(new byte[shentsize * (sections.Count + 1)]);
        var bytes = data.ToArray();

        bytes[0] = 0x7f; bytes[1] = (byte)'E'; bytes[2] = (byte)'L'; bytes[3] = (byte)'F';
        bytes[4] = is64 ? (byte)2 : (byte)1;
        bytes[5] = bigEndian ? (byte)2 : (byte)1;
        bytes[6] = 1;
        Write(bytes, 16, 2, 1, bigEndian);         // ET_REL
        Write(bytes, 18, 2, machine, bigEndian);
        Write(bytes, 20, 4, 1, bigEndian);
        if (is64)
        {
            Write(bytes, 40, 8, (ulong)shoff, bigEndian);
            Write(bytes, 52, 2, 64, bigEndian);
            Write(bytes, 58, 2, 64, bigEndian);
            Write(bytes, 60, 2, (ulong)(sections.Count + 1), bigEndian);
            Write(bytes, 62, 2, (ulong)sections.Count, bigEndian);
        }
        else
        {
            Write(bytes, 32, 4, (ulong)shoff, bigEndian);
            Write(bytes, 40, 2, 52, bigEndian);
            Write(bytes, 46, 2, 40, bigEndian);
            Write(bytes, 48, 2, (ulong)(sections.Count + 1), bigEndian);
            Write(bytes, 50, 2, (ulong)sections.Count, bigEndian);
        }
        for (var i = 0; i < sections.Count; i++)
        {
            var s = sections[i];
            var o = (int)shoff + shentsize * (i + 1);
            Write(bytes, o, 4, nameOffsets[i], bigEndian);
            Write(bytes, o + 4, 4, s.Type, bigEndian);
            if (is64)
            {
                Write(bytes, o + 8, 8, 2, bigEndian); // SHF_ALLOC
                Write(bytes, o + 24, 8, (ulong)offsets[i], bigEndian);
                Write(bytes, o + 32, 8, (ulong)s.Data.Length, bigEndian);
                Write(bytes, o + 40, 4, s.Link, bigEndian);
                Write(bytes, o + 44, 4, s.Info, bigEndian);
                Write(bytes, o + 48, 8, 1, bigEndian);
                Write(bytes, o + 56, 8, s.EntSize, bigEndian);
            }
            else
            {
                Write(bytes, o + 8, 4, 2, bigEndian);
                Write(bytes, o + 16, 4, (ulong)offsets[i], bigEndian);
                Write(bytes, o + 20, 4, (ulong)s.Data.Length, bigEndian);
                Write(bytes, o + 24, 4, s.Link, bigEndian);
                Write(bytes, o + 28, 4, s.Info, bigEndian);
                Write(bytes, o + 32, 4, 1, bigEndian);
                Write(bytes, o + 36, 4, (uint)s.EntSize, bigEndian);
            }
        }
        return bytes;
    }

    private static void Write(byte[] buffer, int offset, int size, ulong value, bool bigEndian)
    {
        var span = buffer.AsSpan(offset, size);
        switch (size, bigEndian)
        {
            case (2, true): BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)value); break;
            case (2, false): BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value); break;
            case (4, true): BinaryPrimitives.WriteUInt32BigEndian(span, (uint)value); break;
            case (4, false): BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value); break;
            case (8, true): BinaryPrimitives.WriteUInt64BigEndian(span, value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(span, value); break;
        }
    }
}
