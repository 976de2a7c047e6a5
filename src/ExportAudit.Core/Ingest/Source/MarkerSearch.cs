using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Where "EXPORT" or "MODULE_" starts: both in one pass over a file's bytes. Every file of a tree is searched and
/// three in four have neither, so this pass is most of the scan's work on them. Each position's byte and the one
/// five (six) on are compared with the needles' first and last bytes, a vector of positions at a time, and only
/// the rare positions where both agree are checked whole. linux-source-6.1 in memory, one thread, 6 alternating
/// rounds: 185-222 ms, against 264-326 ms for the two Span.IndexOf passes it replaced. The needles are constants
/// on purpose (a loop over a needle array measured slower than those passes), and the 512- and 256-bit loops are
/// written out twice because one loop over Vector&lt;byte&gt; that checks a whole vector on a hit took 476-625 ms.
/// Without 256-bit vectors (ARM64) the scalar loop runs: slower, the same answers.
/// </summary>
internal static class MarkerSearch
{
    private static ReadOnlySpan<byte> Export => "EXPORT"u8;

    private static ReadOnlySpan<byte> Module => "MODULE_"u8;

    /// <summary>The first position at or after <paramref name="from"/> where either needle starts, or -1.</summary>
    /// <remarks>Compiled optimized at its first call: ReadyToRun leaves vector code to the JIT, whose first tier would
    /// run this loop unoptimized over most of the tree (the scan's headers took 1.08 s instead of 0.39 s).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Next(ReadOnlySpan<byte> data, int from)
    {
        var i = Math.Max(from, 0);
        ref var start = ref MemoryMarshal.GetReference(data);
        // Each step reads a vector at i, i + 5 and i + 6: it stays inside the data.
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<byte>.Count + Module.Length - 1 <= data.Length; i += Vector512<byte>.Count)
            {
                var at0 = Vector512.LoadUnsafe(ref start, (nuint)i);
                var at5 = Vector512.LoadUnsafe(ref start, (nuint)(i + Export.Length - 1));
                var at6 = Vector512.LoadUnsafe(ref start, (nuint)(i + Module.Length - 1));
                var hits = (Vector512.Equals(at0, Vector512.Create((byte)'E')) & Vector512.Equals(at5, Vector512.Create((byte)'T')))
                    | (Vector512.Equals(at0, Vector512.Create((byte)'M')) & Vector512.Equals(at6, Vector512.Create((byte)'_')));
                if (hits != Vector512<byte>.Zero && First(data, i, hits.ExtractMostSignificantBits()) is var found and >= 0)
                {
                    return found;
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<byte>.Count + Module.Length - 1 <= data.Length; i += Vector256<byte>.Count)
            {
                var at0 = Vector256.LoadUnsafe(ref start, (nuint)i);
                var at5 = Vector256.LoadUnsafe(ref start, (nuint)(i + Export.Length - 1));
                var at6 = Vector256.LoadUnsafe(ref start, (nuint)(i + Module.Length - 1));
                var hits = (Vector256.Equals(at0, Vector256.Create((byte)'E')) & Vector256.Equals(at5, Vector256.Create((byte)'T')))
                    | (Vector256.Equals(at0, Vector256.Create((byte)'M')) & Vector256.Equals(at6, Vector256.Create((byte)'_')));
                if (hits != Vector256<byte>.Zero && First(data, i, hits.ExtractMostSignificantBits()) is var found and >= 0)
                {
                    return found;
                }
            }
        }
        for (; i + Export.Length <= data.Length; i++)
        {
            if (data[i] is (byte)'E' or (byte)'M' && IsAt(data, i))
            {
                return i;
            }
        }
        return -1;
    }

    // The first position of a vector step whose bit is set and where a needle really starts, or -1.
    private static int First(ReadOnlySpan<byte> data, int step, ulong bits)
    {
        for (; bits != 0; bits &= bits - 1)
        {
            var at = step + BitOperations.TrailingZeroCount(bits);
            if (IsAt(data, at))
            {
                return at;
            }
        }
        return -1;
    }

    private static bool IsAt(ReadOnlySpan<byte> data, int at) => data[at..].StartsWith(Export) || data[at..].StartsWith(Module);
}
