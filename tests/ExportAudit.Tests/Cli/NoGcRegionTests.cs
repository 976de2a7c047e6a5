using System.Runtime;
using ExportAudit.Cli;

namespace ExportAudit.Tests.Cli;

/// <summary>The CLI's held-off collector: the work's result comes back, and the region never outlives the work,
/// whether the work ends, throws, or asks for more than the runtime allows.</summary>
public class NoGcRegionTests
{
    [Fact]
    public void TheWorksResult_AndNoRegionLeftOpen()
    {
        var result = NoGcRegion.Run(64L << 20, () => Enumerable.Range(0, 1000).Select(i => new byte[100]).Count());
        Assert.Equal(1000, result);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void AThrowingWork_EndsTheRegion()
    {
        Assert.Throws<InvalidDataException>(() => NoGcRegion.Run<int>(64L << 20, () => throw new InvalidDataException("x")));
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void ABudgetTheRuntimeRefuses_RunsTheWorkAsUsual()
    {
        Assert.Equal(7, NoGcRegion.Run(long.MaxValue, () => 7));
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }

    [Fact]
    public void AllocatingPastTheBudget_TheCollectorRunsAgain()
    {
        var collections = NoGcRegion.Run(16L << 20, () =>
        {
            var before = GC.CollectionCount(0);
            var keep = new List<byte[]>();
            for (var i = 0; i < 64; i++) keep.Add(new byte[1 << 20]); // 64 MiB against a 16 MiB budget
            GC.KeepAlive(keep);
            return GC.CollectionCount(0) - before;
        });
        Assert.True(collections > 0, "no collection past the budget");
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }
}
