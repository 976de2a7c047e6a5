using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ExportAudit.Ingest.Source;

/// <summary>64 bytes compared with a value at once, as a bit per byte (bit 0 the first): the scanner's masks.
/// Callers check <see cref="Vector256.IsHardwareAccelerated"/> first and go byte by byte without it.</summary>
internal static class ByteMask
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Equal(ref byte at, byte value)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512.Equals(Vector512.LoadUnsafe(ref at), Vector512.Create(value)).ExtractMostSignificantBits();
        }
        return Vector256.Equals(Vector256.LoadUnsafe(ref at), Vector256.Create(value)).ExtractMostSignificantBits()
            | (ulong)Vector256.Equals(Vector256.LoadUnsafe(ref at, 32), Vector256.Create(value)).ExtractMostSignificantBits() << 32;
    }

    /// <summary>The bytes of [A-Za-z0-9_$] (<see cref="CTokenizer.IsIdentPart"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Identifier(ref byte at)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return IdentifierBytes(Vector512.LoadUnsafe(ref at)).ExtractMostSignificantBits();
        }
        return IdentifierBytes(Vector256.LoadUnsafe(ref at)).ExtractMostSignificantBits()
            | (ulong)IdentifierBytes(Vector256.LoadUnsafe(ref at, 32)).ExtractMostSignificantBits() << 32;
    }

    /// <summary>All ones in each byte of [A-Za-z0-9_$], zero in the others (the sweep classifies with it too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> IdentifierBytes(Vector256<byte> v)
    {
        var letter = Vector256.LessThanOrEqual((v | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)25));
        var digit = Vector256.LessThanOrEqual(v - Vector256.Create((byte)'0'), Vector256.Create((byte)9));
        return letter | digit | Vector256.Equals(v, Vector256.Create((byte)'_')) | Vector256.Equals(v, Vector256.Create((byte)'$'));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> IdentifierBytes(Vector512<byte> v)
    {
        var letter = Vector512.LessThanOrEqual((v | Vector512.Create((byte)0x20)) - Vector512.Create((byte)'a'), Vector512.Create((byte)25));
        var digit = Vector512.LessThanOrEqual(v - Vector512.Create((byte)'0'), Vector512.Create((byte)9));
        return letter | digit | Vector512.Equals(v, Vector512.Create((byte)'_')) | Vector512.Equals(v, Vector512.Create((byte)'$'));
    }

    /// <summary>The blanks between a line's tokens: space, tab, CR, FF, VT (not the newline).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Blank(ref byte at)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.LoadUnsafe(ref at);
            var controls = Vector512.LessThanOrEqual(v - Vector512.Create((byte)'\t'), Vector512.Create((byte)('\r' - '\t'))) & ~Vector512.Equals(v, Vector512.Create((byte)'\n'));
            return (controls | Vector512.Equals(v, Vector512.Create((byte)' '))).ExtractMostSignificantBits();
        }
        return Blank256(Vector256.LoadUnsafe(ref at)) | (ulong)Blank256(Vector256.LoadUnsafe(ref at, 32)) << 32;

        static uint Blank256(Vector256<byte> v)
        {
            var controls = Vector256.LessThanOrEqual(v - Vector256.Create((byte)'\t'), Vector256.Create((byte)('\r' - '\t'))) & ~Vector256.Equals(v, Vector256.Create((byte)'\n'));
            return (controls | Vector256.Equals(v, Vector256.Create((byte)' '))).ExtractMostSignificantBits();
        }
    }
}
