using System.Runtime.ExceptionServices;

namespace ExportAudit.Ingest;

/// <summary>
/// The tree scans' parallel loop: the calling thread and jobs - 1 threads of its own take the next index from one
/// counter until none is left. Not the thread pool: on this 2-core machine a scan of linux-source-6.1 under
/// Parallel.For had pool workers spinning for work another thread had already taken (564 ms of the 2.9 s of CPU a
/// sampled run used), CPU the two scanning threads then lacked.
/// </summary>
public static class Workers
{
    /// <summary>Runs <paramref name="body"/> for every index below <paramref name="count"/>, in no fixed order. The first
    /// exception stops the others taking more work and is rethrown on the calling thread.</summary>
    public static void For(int count, int jobs, Action<int> body)
    {
        var next = -1;
        Exception? failure = null;
        void Work()
        {
            try
            {
                for (int i; Volatile.Read(ref failure) is null && (i = Interlocked.Increment(ref next)) < count;)
                {
                    body(i);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
        }
        var threads = new Thread[Math.Max(0, Math.Min(jobs, count) - 1)];
        for (var t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(Work) { IsBackground = true, Name = "exportaudit worker" };
            threads[t].Start();
        }
        Work();
        foreach (var thread in threads)
        {
            thread.Join();
        }
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }
}
