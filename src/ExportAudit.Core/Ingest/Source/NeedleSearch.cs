using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Span.IndexOf(needle) for the scan's hot searches (continuations over every marked file; the marks and wrapper
/// names on hardware without AVX2), compiled by the JIT at its first call. A short-lived CLI runs CoreLib's
/// ReadyToRun code for that search until tiering replaces it, which in a scan is most of the time: profiled on
/// linux-source-6.1 (R2R apphost, 2 cores), CoreLib's precompiled substring search under <c>Candidates</c> was 12 %
/// of all samples. Two of each position's bytes (the needle's first and last, or a <see cref="Needle"/>'s rarest two)
/// are compared a vector at a time, and only the positions where both agree are compared whole.
/// </summary>
internal static class NeedleSearch
{
    /// <summary>The first position at or after <paramref name="from"/> where <paramref name="needle"/> starts, or -1.</summary>
    public static int IndexOf(ReadOnlySpan<byte> data, int from, ReadOnlySpan<byte> needle) => IndexOf(data, from, needle, 0, needle.Length - 1);

    /// <summary>The same for a needle searched many times, comparing its two rarest bytes (<see cref="Needle"/>).</summary>
    public static int IndexOf(ReadOnlySpan<byte> data, int from, Needle needle) => IndexOf(data, from, needle.Bytes, needle.P, needle.Q);

    // Each vector step compares the bytes at offsets p and q of every position with the needle's, and checks whole
    // only the positions where both agree.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int IndexOf(ReadOnlySpan<byte> data, int from, ReadOnlySpan<byte> needle, int p, int q)
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
            var atP = Vector512.Create(needle[p]);
            var atQ = Vector512.Create(needle[q]);
            for (; i + Vector512<byte>.Count + last <= data.Length; i += Vector512<byte>.Count)
            {
                var hits = Vector512.Equals(Vector512.LoadUnsafe(ref start, (nuint)(i + p)), atP)
                    & Vector512.Equals(Vector512.LoadUnsafe(ref start, (nuint)(i + q)), atQ);
                if (hits != Vector512<byte>.Zero && Verify(data, i, hits.ExtractMostSignificantBits(), needle) is var found and >= 0)
                {
                    return found;
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var atP = Vector256.Create(needle[p]);
            var atQ = Vector256.Create(needle[q]);
            for (; i + Vector256<byte>.Count + last <= data.Length; i += Vector256<byte>.Count)
            {
                var hits = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)(i + p)), atP)
                    & Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)(i + q)), atQ);
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

/// <summary>
/// A needle and the two of its positions whose bytes are rarest in kernel source, which <see cref="NeedleSearch"/>
/// compares: its first and last bytes are often common ones ('_', 'd', 'e'), and each false agreement is a check of
/// the whole needle. linux-source-6.1's .c and .S files in memory, one thread, 5 alternating rounds, the 7 wrapper
/// names the headers define: 321-338 ms against 475-506 ms for the first and last bytes.
/// </summary>
internal sealed class Needle
{
    // Bytes from common to rare in a seventh of linux-source-6.1's .c, .h and .S files (164 MB); others rarer still.
    private const string Common = " _et\t\ni0rnsadEcoATSCfRIlupPD,NMLmFxO*)(1;hg2vb-GBU=#H/X>4V3k.wKy8W\"6{}5Y&q79:<[]Qz+\\Z|%!j@'J?~$^`";

    public Needle(byte[] bytes)
    {
        Bytes = bytes;
        var p = 0;
        for (var k = 0; k < bytes.Length; k++) if (Rank(bytes[k]) > Rank(bytes[p])) p = k;
        var q = p == 0 ? bytes.Length - 1 : 0;
        for (var k = 0; k < bytes.Length; k++) if (k != p && Rank(bytes[k]) > Rank(bytes[q])) q = k;
        (P, Q) = (Math.Min(p, q), Math.Max(p, q));
    }

    public byte[] Bytes { get; }
    public int P { get; }
    public int Q { get; }

    internal static int Rank(byte c) => Common.IndexOf((char)c) is var i and >= 0 ? i : Common.Length;
}
