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
}
