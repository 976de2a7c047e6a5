using System.Buffers.Binary;
using System.Text;
using ExportAudit.Diagnostics;

namespace ExportAudit.Ingest.Elf;

/// <summary>One section header, as read (sizes and offsets already checked against the file when its data is used).</summary>
public readonly record struct ElfSection(int Index, uint NameOffset, uint Type, ulong Flags, ulong Address, ulong Offset, ulong Size, uint Link, uint Info, ulong EntrySize)
{
    public const uint SHT_SYMTAB = 2;
    public const uint SHT_STRTAB = 3;
    public const uint SHT_NOBITS = 8;
    public const uint SHT_SYMTAB_SHNDX = 18;
}

/// <summary>One symbol-table entry.</summary>
public readonly record struct ElfSymbol(uint NameOffset, ulong Value, ulong Size, byte Info, ushort SectionIndex)
{
    public const ushort SHN_UNDEF = 0;
    public const ushort SHN_ABS = 0xfff1;
    public const ushort SHN_COMMON = 0xfff2;
    public const ushort SHN_XINDEX = 0xffff;
    public const int STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;

    public int Binding => Info >> 4;
    public int Type => Info & 0xf;
}

/// <summary>
/// A bounds-checked view of an ELF file in memory: ELF32 and ELF64, little- and big-endian. Nothing is
/// copied; every offset, size and count read from the file is checked before it is used, and a bad one is
/// an <see cref="InputException"/> naming the byte offset.
/// </summary>
/// <remarks>
/// Our own reader rather than ELFSharp or LibObjectFile: a module audit needs five sections of each file
/// and no object model. tests/ExportAudit.Benchmarks measures both on Debian's module tree; the figures
/// (and the ratio that justifies keeping this, at least 2x) are in README.md under "Speed".
/// </remarks>
public readonly ref struct ElfView
{
    public const ushort EM_386 = 3, EM_SPARC = 2, EM_PPC = 20, EM_PPC64 = 21, EM_S390 = 22, EM_SPARCV9 = 43, EM_X86_64 = 62;
    public const ushort ET_REL = 1, ET_EXEC = 2, ET_DYN = 3;

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _path;
    private readonly ulong _shoff;
    private readonly int _shentsize;

    public bool Is64 { get; }
    public bool LittleEndian { get; }
    public ushort Type { get; }
    public ushort Machine { get; }
    public int SectionCount { get; }
    public int SectionNameTable { get; }
    public int Length => _data.Length;

    public static bool HasMagic(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && data[0] == 0x7f && data[1] == (byte)'E' && data[2] == (byte)'L' && data[3] == (byte)'F';

    public ElfView(string path, ReadOnlySpan<byte> data)
    {
        _path = path;
        _data = data;
        if (!HasMagic(data))
        {
            throw Bad(0, "not an ELF file");
        }
        if (data.Length < 52)
        {
            throw Bad(data.Length, "truncated ELF header");
        }
        Is64 = data[4] switch { 1 => false, 2 => true, _ => throw Bad(4, $"bad ELF class {data[4]}") };
        LittleEndian = data[5] switch { 1 => true, 2 => false, _ => throw Bad(5, $"bad ELF data encoding {data[5]}") };
        if (Is64 && data.Length < 64)
        {
            throw Bad(data.Length, "truncated ELF64 header");
        }
        Type = U16(16);
        Machine = U16(18);
        _shoff = Is64 ? U64(40) : U32(32);
        _shentsize = U16(Is64 ? 58 : 46);
        int shnum = U16(Is64 ? 60 : 48);
        int shstrndx = U16(Is64 ? 62 : 50);
        if (_shoff == 0)
        {
            throw Bad(Is64 ? 40 : 32, "no section headers");
        }
        if (_shentsize != (Is64 ? 64 : 40))
        {
            throw Bad(Is64 ? 58 : 46, $"bad section header size {_shentsize}");
        }
        if (_shoff > (ulong)data.Length)
        {
            throw Bad(Is64 ? 40 : 32, $"section headers at {_shoff} are past the end of the file ({data.Length} bytes)");
        }
        // More than 0xff00 sections: the real count and string-table index live in section 0.
        if (shnum == 0 || shstrndx == 0xffff)
        {
            if ((ulong)data.Length - _shoff < (ulong)_shentsize)
            {
                throw Bad((long)_shoff, "truncated section header 0");
            }
            SectionCount = 1;
            var zero = Section(0);
            if (shnum == 0)
            {
                shnum = zero.Size > int.MaxValue ? throw Bad((long)_shoff, "absurd section count") : (int)zero.Size;
            }
            if (shstrndx == 0xffff)
            {
                shstrndx = (int)zero.Link;
            }
        }
        if ((ulong)shnum * (ulong)_shentsize > (ulong)data.Length - _shoff)
        {
            throw Bad((long)_shoff, $"{shnum} section headers do not fit in the file");
        }
        SectionCount = shnum;
        if (shstrndx >= shnum)
        {
            throw Bad(Is64 ? 62 : 50, $"section name table index {shstrndx} out of range ({shnum} sections)");
        }
        SectionNameTable = shstrndx;
    }

    public ElfSection Section(int index)
    {
        if ((uint)index >= (uint)SectionCount)
        {
            throw Bad((long)_shoff, $"section index {index} out of range ({SectionCount} sections)");
        }
        var o = (int)(_shoff + (ulong)(index * _shentsize));
        return Is64
            ? new ElfSection(index, U32(o), U32(o + 4), U64(o + 8), U64(o + 16), U64(o + 24), U64(o + 32), U32(o + 40), U32(o + 44), U64(o + 56))
            : new ElfSection(index, U32(o), U32(o + 4), U32(o + 8), U32(o + 12), U32(o + 16), U32(o + 20), U32(o + 24), U32(o + 28), U32(o + 36));
    }

    /// <summary>The section's bytes; NOBITS sections are empty.</summary>
    public ReadOnlySpan<byte> Data(ElfSection section)
    {
        if (section.Type == ElfSection.SHT_NOBITS || section.Size == 0)
        {
            return default;
        }
        if (section.Offset > (ulong)_data.Length || section.Size > (ulong)_data.Length - section.Offset)
        {
            throw Bad((long)_shoff + section.Index * _shentsize, $"section {section.Index} ({section.Offset}+{section.Size}) extends past the end of the file ({_data.Length} bytes)");
        }
        return _data.Slice((int)section.Offset, (int)section.Size);
    }

    public ReadOnlySpan<byte> SectionName(ElfSection section) => CString(Data(Section(SectionNameTable)), section.NameOffset, "section name");

    /// <summary>Finds a section by name; -1 when there is none.</summary>
    public int FindSection(ReadOnlySpan<byte> name)
    {
        var names = Data(Section(SectionNameTable));
        for (var i = 1; i < SectionCount; i++)
        {
            var s = Section(i);
            if (CString(names, s.NameOffset, "section name").SequenceEqual(name))
            {
                return i;
            }
        }
        return -1;
    }

    public int SymbolSize => Is64 ? 24 : 16;

    /// <summary>The entries of the symbol table at <paramref name="symtabIndex"/> (-1: none, an error), its string table and count.</summary>
    public ReadOnlySpan<byte> SymbolTable(int symtabIndex, out ReadOnlySpan<byte> strings, out int count)
    {
        if (symtabIndex < 0)
        {
            throw Bad(-1, "no symbol table (.symtab): stripped?");
        }
        var symtab = Section(symtabIndex);
        var symbols = Data(symtab);
        strings = Data(Section((int)symtab.Link));
        count = symbols.Length / SymbolSize;
        return symbols;
    }

    public ElfSymbol Symbol(ReadOnlySpan<byte> table, int index)
    {
        var o = index * SymbolSize;
        var e = table.Slice(o, SymbolSize);
        return Is64
            ? new ElfSymbol(R32(e), R64(e[8..]), R64(e[16..]), e[4], R16(e[6..]))
            : new ElfSymbol(R32(e), R32(e[4..]), R32(e[8..]), e[12], R16(e[14..]));
    }

    /// <summary>A NUL-terminated string at an offset of a string table; a missing terminator is an error.</summary>
    public ReadOnlySpan<byte> CString(ReadOnlySpan<byte> table, ulong offset, string what)
    {
        if (offset >= (ulong)table.Length)
        {
            if (offset == 0 && table.Length == 0)
            {
                return default;
            }
            throw Bad(-1, $"{what} offset {offset} outside its string table ({table.Length} bytes)");
        }
        var rest = table[(int)offset..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw Bad(-1, $"{what} at {offset} is not NUL-terminated");
        }
        return rest[..end];
    }

    public ushort R16(ReadOnlySpan<byte> s) => LittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
    public uint R32(ReadOnlySpan<byte> s) => LittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
    public ulong R64(ReadOnlySpan<byte> s) => LittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(s) : BinaryPrimitives.ReadUInt64BigEndian(s);

    private ushort U16(int o) => R16(_data.Slice(o, 2));
    private uint U32(int o) => R32(_data.Slice(o, 4));
    private ulong U64(int o) => R64(_data.Slice(o, 8));

    public InputException Bad(long offset, string message) =>
        new(_path, null, "ELF: " + message, offset < 0 ? null : offset);

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
