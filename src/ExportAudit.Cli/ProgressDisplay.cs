using Spectre.Console;

namespace ExportAudit.Cli;

/// <summary>A progress bar on stderr while modules are read — only on a terminal, never in a pipe or a log.</summary>
public static class ProgressDisplay
{
    public static T Run<T>(bool enabled, Func<Action<int, int>?, T> work)
    {
        if (!enabled)
        {
            return work(null);
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("reading modules", autoStart: true, maxValue: 1);
                var gate = new object();
                result = work((done, total) =>
                {
                    lock (gate)
                    {
                        task.MaxValue = total;
                        task.Value = Math.Max(task.Value, done);
                    }
                });
                task.Value = task.MaxValue;
            });
        return result;
    }
}
