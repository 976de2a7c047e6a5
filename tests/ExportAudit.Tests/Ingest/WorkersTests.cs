using ExportAudit.Ingest;

namespace ExportAudit.Tests.Ingest;

public class WorkersTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 4)]
    [InlineData(1000, 1)]
    [InlineData(1000, 2)]
    [InlineData(5, 16)]
    public void EveryIndex_RunsExactlyOnce(int count, int jobs)
    {
        var runs = new int[count];
        Workers.For(count, jobs, i => Interlocked.Increment(ref runs[i]));
        Assert.All(runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public void MoreThanOneJob_RunsOnMoreThanOneThread()
    {
        var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        using var bothStarted = new CountdownEvent(2);
        Workers.For(2, 2, _ =>
        {
            threads[Environment.CurrentManagedThreadId] = true;
            bothStarted.Signal();
            Assert.True(bothStarted.Wait(TimeSpan.FromSeconds(30)));
        });
        Assert.Equal(2, threads.Count);
    }

    [Fact]
    public void AFailure_IsRethrownOnTheCallingThread_AndStopsFurtherWork()
    {
        var ran = 0;
        var e = Assert.Throws<InvalidOperationException>(() => Workers.For(10_000, 2, i =>
        {
            Interlocked.Increment(ref ran);
            if (i == 10) throw new InvalidOperationException("boom at 10");
        }));
        Assert.Equal("boom at 10", e.Message);
        Assert.True(ran < 10_000, $"{ran} items ran after the failure");
    }
}
