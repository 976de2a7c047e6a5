using System.CommandLine;
using System.CommandLine.Parsing;
using ExportAudit.Audit;
using ExportAudit.Checks;
using ExportAudit.Diagnostics;
using ExportAudit.Reports;

namespace ExportAudit.Cli;

/// <summary>The command line: options in, library call, reports out. Nothing here decides a finding.</summary>
public static class ExportAuditCommand
{
    public const int ExitClean = 0;
    public const int ExitFindings = 1;
    public const int ExitUsageOrInput = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal = false)
    {
        var root = Build(stdout, stderr, stderrIsTerminal);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                stderr.WriteLine($"exportaudit: {error.Message}");
            }
            stderr.WriteLine("exportaudit: try 'exportaudit --help'");
            return ExitUsageOrInput;
        }
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            return parse.Invoke(config);
        }
        catch (Exception e) when (!IsVerbose(args))
        {
            stderr.WriteLine($"exportaudit: internal error: {e.Message} (run with --verbose for a stack trace to report)");
            return ExitUsageOrInput;
        }
    }

    private static bool IsVerbose(string[] args) => args.Contains("--verbose");

    private static RootCommand Build(TextWriter stdout, TextWriter stderr, bool stderrIsTerminal)
    {
        var root = new RootCommand(
            "Audits Linux kernel symbol exports for license compliance, with modpost's and the module loader's exact semantics.\n\n" +
            "Examples:\n" +
            "  exportaudit check --kernel /usr/src/linux-headers-$(uname -r) module.yaml\n" +
            "  exportaudit check --kernel samples/kernels/hmm-4.20-after.yaml samples/modules --format modpost\n" +
            "  exportaudit simulate-load --kernel samples/kernels/hmm-4.19-before.yaml samples/modules\n" +
            "  exportaudit check --kernel Module.symvers --format json:report.json --format text mods/\n\n" +
            "Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage error or unreadable input (wins over 1).");
        root.Subcommands.Add(AuditCommand("check",
            "Run modpost's build-time checks: GPL-only symbols used by GPL-incompatible modules, namespaces not imported, unresolved symbols, exports without definition, missing licenses, clashes, missing CRCs.",
            "  exportaudit check --kernel /usr/src/linux-headers-6.1.0-26-amd64 acme.yaml\n" +
            "  exportaudit check --kernel samples/kernels/hmm-4.20-after.yaml samples/modules --format modpost",
            Auditor.Check, stdout, stderr, stderrIsTerminal));
        root.Subcommands.Add(AuditCommand("simulate-load",
            "Predict what the module loader prints and decides when the modules are insmod-ed in dependency order on a fresh boot: taints, Unknown symbol, the GPL-shim refusal, taint inheritance, namespace refusal, symbol versions.",
            "  exportaudit simulate-load --kernel samples/kernels/hmm-4.19-before.yaml samples/modules\n" +
            "  exportaudit simulate-load --kernel /usr/src/linux-headers-6.1.0-26-amd64 shim.yaml prop.yaml --format json",
            Auditor.SimulateLoad, stdout, stderr, stderrIsTerminal));
        return root;
    }

    private static Command AuditCommand(string name, string description, string examples,
        Func<AuditRequest, AuditResult> audit, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal)
    {
        var kernel = new Option<string[]>("--kernel", "-k")
        {
            Description = "Kernel symbol source: Module.symvers, a directory holding one (kernel build or headers dir; its .config is read too), vmlinux, a module, a /lib/modules tree, or a YAML kernel model. Repeat to merge sources as modpost merges vmlinux, Module.symvers and KBUILD_EXTRA_SYMBOLS. Optional when an INPUT tree has build/Module.symvers.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var format = new Option<string[]>("--format", "-f")
        {
            Description = $"Report format, optionally with a path: FMT[:PATH]. Repeatable; at most one goes to stdout. Formats: {string.Join(", ", ReportWriters.All.Select(w => w.Format))}. Default: text.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Write the (single) --format to this file instead of stdout." };
        var failOn = new Option<string>("--fail-on")
        {
            Description = "Lowest severity that makes the exit code 1: error, warning or note.",
            DefaultValueFactory = _ => "error",
        };
        failOn.AcceptOnlyFromAmong("error", "warning", "note");
        var jobs = new Option<int>("--jobs", "-j") { Description = "Worker threads (default: processor count). Output never depends on it.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var noProgress = new Option<bool>("--no-progress") { Description = "Never show progress (it is shown only when stderr is a terminal)." };
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces of internal errors, for bug reports." };
        var maxSize = new Option<long>("--max-module-size")
        {
            Description = "Largest module accepted, compressed or decompressed, in bytes (default 1 GiB): a bound for compression bombs.",
            DefaultValueFactory = _ => ExportAudit.Ingest.Compression.ModuleDecompressor.DefaultLimit,
        };
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "Modules (.ko, module .o, .ko.xz/.zst/.gz), module manifests (YAML), or directories of them: a /lib/modules/VERSION tree, a kbuild output directory (modules.order is kept).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command(name, description + "\n\nExamples:\n" + examples)
        {
            kernel, format, output, failOn, jobs, noProgress, verbose, maxSize, inputs,
        };
        command.SetAction(parse =>
        {
            var targets = ResolveTargets(name, parse.GetValue(format) ?? [], parse.GetValue(output), stderr);
            if (targets is null)
            {
                return ExitUsageOrInput;
            }
            if (parse.GetValue(jobs) < 1)
            {
                stderr.WriteLine("exportaudit: --jobs must be at least 1");
                return ExitUsageOrInput;
            }
            if (parse.GetValue(maxSize) < 1)
            {
                stderr.WriteLine("exportaudit: --max-module-size must be at least 1");
                return ExitUsageOrInput;
            }
            Severities.TryParse(parse.GetValue(failOn)!, out var threshold);
            var showProgress = stderrIsTerminal && !parse.GetValue(noProgress);
            var result = ProgressDisplay.Run(showProgress, progress => audit(
                new AuditRequest(parse.GetValue(kernel) ?? [], parse.GetValue(inputs) ?? [])
                {
                    Read = new ExportAudit.Ingest.ReadOptions { Jobs = parse.GetValue(jobs), MaxModuleBytes = parse.GetValue(maxSize), Progress = progress },
                }));
            foreach (var error in result.InputErrors)
            {
                stderr.WriteLine($"exportaudit: {(error.Severity == Severity.Warning ? "warning: " : "")}{error}");
            }
            if (result.Kernels.Count == 0 && !result.HasInputErrors)
            {
                stderr.WriteLine("exportaudit: no kernel symbols: give --kernel (Module.symvers, a headers directory, vmlinux, a /lib/modules tree or a kernel model)");
                return ExitUsageOrInput;
            }
            var writeFailed = false;
            foreach (var target in targets)
            {
                var writer = ReportWriters.Find(target.Format)!;
                try
                {
                    if (target.Path is null)
                    {
                        writer.Write(result, stdout);
                        stdout.Flush();
                    }
                    else
                    {
                        using var file = new StreamWriter(target.Path, false, new System.Text.UTF8Encoding(false));
                        writer.Write(result, file);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    stderr.WriteLine($"exportaudit: {target.Path}: cannot write report: {e.Message}");
                    writeFailed = true;
                }
            }
            if (result.HasInputErrors || writeFailed)
            {
                return ExitUsageOrInput;
            }
            return result.Findings.Any(f => f.Severity.AtLeast(threshold)) ? ExitFindings : ExitClean;
        });
        return command;
    }

    private static List<OutputTarget>? ResolveTargets(string command, string[] formats, string? output, TextWriter stderr)
    {
        var targets = formats.Select(OutputTarget.Parse).ToList();
        if (targets.Count == 0)
        {
            targets.Add(new OutputTarget("text", null));
        }
        if (output is not null)
        {
            if (targets.Count != 1 || targets[0].Path is not null)
            {
                stderr.WriteLine("exportaudit: -o goes with a single --format without a path; use --format FMT:PATH for several");
                return null;
            }
            targets[0] = targets[0] with { Path = output };
        }
        foreach (var target in targets)
        {
            var writer = ReportWriters.Find(target.Format);
            if (writer is null)
            {
                stderr.WriteLine($"exportaudit: unknown format '{target.Format}' (known: {string.Join(", ", ReportWriters.All.Select(w => w.Format))})");
                return null;
            }
            if (!writer.Supports(command))
            {
                stderr.WriteLine($"exportaudit: format '{target.Format}' is not available for {command}");
                return null;
            }
            if (target.Path is "")
            {
                stderr.WriteLine($"exportaudit: --format {target.Format}: empty path");
                return null;
            }
        }
        if (targets.Count(t => t.Path is null) > 1)
        {
            stderr.WriteLine("exportaudit: at most one --format may go to stdout; give the others a path (FMT:PATH)");
            return null;
        }
        return targets;
    }
}
