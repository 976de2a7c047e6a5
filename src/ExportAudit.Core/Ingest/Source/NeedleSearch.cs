using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Span.IndexOf(needle) for the scan's hot searches (wrapper names and continuations over every marked file, the ends
/// of block comments), compiled by the JIT at its first call. A short-lived CLI runs CoreLib's ReadyToRun code for
/// that search until tiering replaces it, which in a scan is most of the time: profiled on linux-source-6.1 (R2R
/// apphost, 2 cores), CoreLib's precompiled substring search under <c>Candidates</c> was 12 % of all samples. Each
/// position's byte and the one at the needle's end are compared a vector at a time, as <see cref="MarkerSearch"/> does.
/// </summary>
internal static class NeedleSearch
{
    /// <summary>The first position at or after <paramref name="from"/> where <paramref name="needle"/> starts, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int IndexOf(ReadOnlySpan<byte> data, int from, ReadOnlySpan<byte> needle)
    {
        if (needle.IsEmpty)
        {
            return from <= data.Length ? from : -1;
        }
        var i = Math.Max(from, 0);
        var last = needle.Length - 1;
        ref var start = ref MemoryMarshal.GetReference(data);
        if (Vector512.IsHardwareAccelerated)
        {
            var first = Vector512.Create(needle[0]);
            var end = Vector512.Create(needle[last]);
            for (; i + Vector512<byte>.Count + last <= data.Length; i += Vector512<byte>.Count)
            {
                var hits = Vector512.Equals(Vector512.LoadUnsafe(ref start, (nuint)i), first)
                    & Vector512.Equals(Vector512.LoadUnsafe(ref start, (nuint)(i + last)), end);
                if (hits != Vector512<byte>.Zero && Verify(data, i, hits.ExtractMostSignificantBits(), needle) is var found and >= 0)
                {
                    return found;
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var first = Vector256.Create(needle[0]);
            var end = Vector256.Create(needle[last]);
            for (; i + Vector256<byte>.Count + last <= data.Length; i += Vector256<byte>.Count)
            {
                var hits = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)i), first)
                    & Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)(i + last)), end);
                if (hits != Vector256<byte>.Zero && Verify(data, i, hits.ExtractMostSignificantBits(), needle) is var found and >= 0)
                {
                    return found;
                }
            }
        }
        if (i >= data.Length)
        {
            return -1;
        }
        var rest = data[i..].IndexOf(needle);
        return rest < 0 ? -1 : i + rest;
    }

    // The first position of a vector step whose bit is set and where the whole needle is, or -1.
    private static int Verify(ReadOnlySpan<byte> data, int step, ulong bits, ReadOnlySpan<byte> needle)
    {
        for (; bits != 0; bits &= bits - 1)
        {
            var at = step + BitOperations.TrailingZeroCount(bits);
            if (data.Slice(at, needle.Length).SequenceEqual(needle))
            {
                return at;
            }
        }
        return -1;
    }
}
