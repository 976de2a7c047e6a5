using System.CommandLine;
using ExportAudit.Audit;
using ExportAudit.Checks;
using ExportAudit.Config;
using ExportAudit.CustomRules;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Ingest.Compression;
using ExportAudit.Policy;
using ExportAudit.Reports;

namespace ExportAudit.Cli;

/// <summary>The command line: options in, library call, reports out. Nothing here decides a finding.</summary>
public static class ExportAuditCommand
{
    public const int ExitClean = 0;
    public const int ExitFindings = 1;
    public const int ExitUsageOrInput = 2;

    /// <param name="workingDirectory">Where exportaudit.yaml discovery starts (the current directory unless a caller says).</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal = false, string? workingDirectory = null)
    {
        var root = Build(stdout, stderr, stderrIsTerminal, workingDirectory ?? Environment.CurrentDirectory);
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
        catch (Exception e) when (!args.Contains("--verbose"))
        {
            stderr.WriteLine($"exportaudit: internal error: {e.Message} (run with --verbose for a stack trace to report)");
            return ExitUsageOrInput;
        }
    }

    private static RootCommand Build(TextWriter stdout, TextWriter stderr, bool stderrIsTerminal, string workingDirectory)
    {
        var root = new RootCommand(
            "Audits Linux kernel symbol exports for license compliance, with modpost's and the module loader's exact semantics.\n\n" +
            "Examples:\n" +
            "  exportaudit check --kernel /usr/src/linux-headers-$(uname -r) /lib/modules/$(uname -r)/updates\n" +
            "  exportaudit check --kernel samples/kernels/hmm-4.20-after.yaml samples/modules --format modpost\n" +
            "  exportaudit check --kernel /usr/src/linux-headers-6.1.0-26-amd64 ~/src/vendor-driver/   (source, before building)\n" +
            "  exportaudit simulate-load --kernel samples/kernels/hmm-4.19-before.yaml samples/modules\n" +
            "  exportaudit check --kernel Module.symvers --format sarif:report.sarif --format text mods/\n\n" +
            "Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage error or unreadable input (wins over 1).");
        var context = new CommandContext(stdout, stderr, stderrIsTerminal, workingDirectory);
        root.Subcommands.Add(AuditCommand("check",
            "Run modpost's build-time checks: GPL-only symbols used by GPL-incompatible modules, namespaces not imported, unresolved symbols, exports without definition, missing licenses, clashes, missing CRCs; then policies, waivers, the baseline and custom rules.",
            "  exportaudit check --kernel /usr/src/linux-headers-6.1.0-26-amd64 acme.ko\n" +
            "  exportaudit check --kernel samples/kernels/hmm-4.20-after.yaml samples/modules --format modpost\n" +
            "  exportaudit check --policy rules/example-policy.yaml --baseline baseline.json --format sarif:out.sarif --format text",
            Auditor.Check, context));
        root.Subcommands.Add(AuditCommand("simulate-load",
            "Predict what the module loader prints and decides when the modules are insmod-ed in dependency order on a fresh boot: taints, Unknown symbol, the GPL-shim refusal, taint inheritance, namespace refusal, symbol versions.",
            "  exportaudit simulate-load --kernel samples/kernels/hmm-4.19-before.yaml samples/modules\n" +
            "  exportaudit simulate-load --kernel /boot/vmlinuz-$(uname -r) --kernel /lib/modules/$(uname -r) vendor/*.ko --format json",
            Auditor.SimulateLoad, context));
        root.Subcommands.Add(ReviewCommand(context));
        root.Subcommands.Add(DiffCommand(context));
        root.Subcommands.Add(ScanSourceCommand(context));
        root.Subcommands.Add(RulesCommand(context));
        return root;
    }

    /// <summary>`rules`: every rule's ID, default severity, name and title, from the same descriptors the reports use.</summary>
    private static Command RulesCommand(CommandContext ctx)
    {
        var format = new Option<string>("--format", "-f") { Description = "text (default) or yaml (the rule pack rules/default-severities.yaml is this output).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "yaml");
        var command = new Command("rules", "List every rule: ID, default severity, name and title.\n\nExamples:\n  exportaudit rules\n  exportaudit rules --format yaml > rules/default-severities.yaml") { format };
        command.SetAction(parse =>
        {
            ctx.Stdout.Write(parse.GetValue(format) == "yaml" ? RuleTable.Yaml() : RuleTable.Text());
            return ExitClean;
        });
        return command;
    }

    private sealed record CommandContext(TextWriter Stdout, TextWriter Stderr, bool StderrIsTerminal, string WorkingDirectory);

    private static Command AuditCommand(string name, string description, string examples, Func<AuditRequest, AuditResult> audit, CommandContext ctx)
    {
        var stderr = ctx.Stderr;
        var kernel = new Option<string[]>("--kernel", "-k")
        {
            Description = "Kernel symbol source: Module.symvers, a directory holding one (kernel build or headers dir; its .config is read too), vmlinux, /boot/vmlinuz, a module, a /lib/modules tree, or a YAML kernel model. Repeat to merge sources as modpost merges vmlinux, Module.symvers and KBUILD_EXTRA_SYMBOLS. Optional when an INPUT tree has build/Module.symvers or the config file names one.",
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
        var failOn = new Option<string?>("--fail-on") { Description = "Lowest severity that makes the exit code 1: error (default), warning or note." };
        failOn.AcceptOnlyFromAmong("error", "warning", "note");
        var jobs = new Option<int>("--jobs", "-j") { Description = "Worker threads (default: processor count). Output never depends on it.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var noProgress = new Option<bool>("--no-progress") { Description = "Never show progress (it is shown only when stderr is a terminal)." };
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces of internal errors, for bug reports." };
        var maxSize = new Option<long>("--max-module-size")
        {
            Description = "Largest module accepted, compressed or decompressed, in bytes (default 1 GiB): a bound for compression bombs.",
            DefaultValueFactory = _ => ModuleDecompressor.DefaultLimit,
        };
        var policy = new Option<string[]>("--policy") { Description = "A YAML policy (severities, deny/allow lists, namespace discipline, license deviations). Repeatable.", AllowMultipleArgumentsPerToken = false };
        var waivers = new Option<string[]>("--waivers") { Description = "A YAML file of waivers (module, symbol and/or rule, reason, owner, expires). Repeatable.", AllowMultipleArgumentsPerToken = false };
        var baseline = new Option<string?>("--baseline") { Description = "Only findings not in this baseline fail the run." };
        var writeBaseline = new Option<string?>("--write-baseline") { Description = "Record this run's findings as the baseline file." };
        var rules = new Option<string?>("--rules") { Description = "A directory of custom rules (*.cs) to compile and run. This runs code: name only a directory you trust." };
        var configOption = new Option<string?>("--config") { Description = $"Read this config file instead of looking for {ProjectConfig.FileName} upward from the current directory." };
        var noConfig = new Option<bool>("--no-config") { Description = "Ignore config files." };
        var today = new Option<string?>("--today") { Description = "The date waivers expire against (YYYY-MM-DD; default: today, UTC), for reproducible runs." };
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "Modules (.ko, module .o, .ko.xz/.zst/.gz), module manifests (YAML), or directories of them: a /lib/modules/VERSION tree, a kbuild output directory (modules.order is kept). Also a module not built yet: its source directory (Kbuild or Makefile naming obj-m, or .c files) or one .c file; its imports are the names its code uses that the kernel exports, followed through the kernel headers' macros and inline functions.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command(name, description + "\n\nExamples:\n" + examples)
        {
            kernel, format, output, failOn, jobs, noProgress, verbose, maxSize, policy, waivers, baseline, writeBaseline, rules, configOption, noConfig, today, inputs,
        };
        command.SetAction(parse =>
        {
            var targets = ResolveTargets(name, parse.GetValue(format) ?? [], parse.GetValue(output), stderr);
            if (targets is null)
            {
                return ExitUsageOrInput;
            }
            if (parse.GetValue(jobs) < 1 || parse.GetValue(maxSize) < 1)
            {
                stderr.WriteLine(parse.GetValue(jobs) < 1 ? "exportaudit: --jobs must be at least 1" : "exportaudit: --max-module-size must be at least 1");
                return ExitUsageOrInput;
            }
            var day = DateOnly.FromDateTime(DateTime.UtcNow);
            if (parse.GetValue(today) is { } todayText && !DateOnly.TryParseExact(todayText, "yyyy-MM-dd", out day))
            {
                stderr.WriteLine($"exportaudit: --today '{todayText}' is not a date (YYYY-MM-DD)");
                return ExitUsageOrInput;
            }
            var kernels = parse.GetValue(kernel) ?? [];
            var inputPaths = parse.GetValue(inputs) ?? [];
            var errors = new InputErrors();

            // The config file: named, or found upward — but never one inside what is being audited.
            ProjectConfig? config = null;
            if (!parse.GetValue(noConfig))
            {
                var configPath = parse.GetValue(configOption) ?? ProjectConfig.Discover(ctx.WorkingDirectory);
                if (configPath is not null && parse.GetValue(configOption) is null && ProjectConfig.IsInside(configPath, [.. inputPaths, .. kernels]))
                {
                    stderr.WriteLine($"exportaudit: warning: {configPath}: ignored, it is inside an input (a config file runs code)");
                    configPath = null;
                }
                if (configPath is not null)
                {
                    config = Read(errors, () => ProjectConfig.Read(configPath, errors));
                }
            }
            if (kernels.Length == 0 && config is not null)
            {
                kernels = [.. config.Kernels];
            }
            var threshold = FailLevel(parse.GetValue(failOn) ?? config?.FailOn);
            var policies = (parse.GetValue(policy) ?? []).Concat(config?.Policies ?? [])
                .Select(p => Read(errors, () => PolicyReader.ReadPolicy(p, errors))).OfType<PolicyFile>().ToArray();
            var waiverList = (parse.GetValue(waivers) ?? []).Concat(config?.Waivers ?? [])
                .SelectMany(p => Read(errors, () => PolicyReader.ReadWaivers(p, errors)) ?? []).ToArray();
            var baselinePath = parse.GetValue(baseline) ?? config?.Baseline;
            var baselineSet = baselinePath is null ? null : Read(errors, () => Baseline.Read(baselinePath));
            if (baselinePath is not null && baselineSet is null)
            {
                baselineSet = new HashSet<string>(); // unreadable: every finding is new, and the run exits 2
            }

            var rulesDir = parse.GetValue(rules) ?? config?.Rules;
            var compiled = CompiledRules.None;
            if (rulesDir is not null)
            {
                if (ProjectConfig.IsInside(rulesDir, [.. inputPaths, .. kernels]))
                {
                    stderr.WriteLine($"exportaudit: {rulesDir}: custom rules are never loaded from an input or kernel path");
                    return ExitUsageOrInput;
                }
                compiled = Read(errors, () => RuleCompiler.Load(rulesDir, RuleCacheDirectory(), errors)) ?? CompiledRules.None;
            }

            var showProgress = ctx.StderrIsTerminal && !parse.GetValue(noProgress);
            var result = ProgressDisplay.Run(showProgress, progress => audit(new AuditRequest(kernels, inputPaths)
            {
                Read = new ReadOptions { Jobs = parse.GetValue(jobs), MaxModuleBytes = parse.GetValue(maxSize), Progress = progress },
                Gate = new GateSettings { Policies = policies, Waivers = waiverList, Baseline = baselineSet, Today = day },
                CustomRules = compiled,
                PriorErrors = errors.Snapshot(),
                FailLevel = threshold,
            }));
            return Emit(ctx, result, targets, parse.GetValue(writeBaseline));
        });
        return command;
    }

    /// <summary>Input errors to stderr, the baseline and every report written; the exit code.</summary>
    private static int Emit(CommandContext ctx, AuditResult result, List<OutputTarget> targets, string? baselineOut, bool kernelRequired = true)
    {
        var stderr = ctx.Stderr;
        foreach (var error in result.InputErrors)
        {
            stderr.WriteLine($"exportaudit: {(error.Severity == Severity.Warning ? "warning: " : "")}{error}");
        }
        if (kernelRequired && result.Kernels.Count == 0 && !result.HasInputErrors)
        {
            stderr.WriteLine("exportaudit: no kernel symbols: give --kernel (Module.symvers, a headers directory, vmlinux, a /lib/modules tree or a kernel model)");
            return ExitUsageOrInput;
        }
        var writeFailed = false;
        if (baselineOut is not null)
        {
            writeFailed |= !Write(stderr, baselineOut, () => Baseline.Write(baselineOut, result.Findings));
        }
        foreach (var target in targets)
        {
            var writer = ReportWriters.Find(target.Format)!;
            if (target.Path is null)
            {
                writer.Write(result, ctx.Stdout);
                ctx.Stdout.Flush();
            }
            else
            {
                writeFailed |= !Write(stderr, target.Path, () =>
                {
                    using var file = new StreamWriter(target.Path, false, new System.Text.UTF8Encoding(false));
                    writer.Write(result, file);
                });
            }
        }
        if (result.HasInputErrors || writeFailed)
        {
            return ExitUsageOrInput;
        }
        return result.Failing.Any() ? ExitFindings : ExitClean;
    }

    /// <summary>Allocation a source scan makes before the GC may run (<see cref="NoGcRegion"/>): a whole tree's scan fits.</summary>
    private const long ScanBudget = 256L << 20;

    /// <summary>The same for scan-source --calls on a tree, its report included: linux-source-6.1 allocates ~370 MB,
    /// nearly all of it kept until the report (each file's uses, the exporting files' functions), and its 4-5 young and
    /// 3-4 older collections stopped both threads for 340-460 ms in all (ending the region before the report cost one
    /// more, of 130 ms, as the report began). Held off: one collection (the region's start), RSS 370 -> 440 MB.</summary>
    private const long CallsBudget = 512L << 20;

    /// <summary>`scan-source DIR`: every export, MODULE_LICENSE and MODULE_IMPORT_NS of a kernel tree.</summary>
    private static Command ScanSourceCommand(CommandContext ctx)
    {
        var dir = new Argument<string>("PATH") { Description = "A kernel source tree (or any directory of C sources); with --calls also a YAML kernel model, or modules (.ko, .o, .ko.xz/.zst/.gz, or a directory of them)." };
        var kernel = new Option<string[]>("--kernel", "-k")
        {
            Description = "With --calls: the kernel the modules or the (out-of-tree) sources are for (Module.symvers, headers dir, ...), which says which of the calls are GPL-only. Repeatable.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var config = new Option<string?>("--config-file", "--kconfig") { Description = "A kernel .config: #if over CONFIG_ symbols is evaluated (IS_ENABLED, IS_BUILTIN, IS_MODULE, defined). Without one, every branch counts except #if 0." };
        var arch = new Option<string?>("--arch") { Description = "Keep arch/NAME and drop the other architectures (e.g. x86)." };
        var format = new Option<string[]>("--format", "-f") { Description = "json or text (default), FMT[:PATH].", AllowMultipleArgumentsPerToken = false };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var noProgress = new Option<bool>("--no-progress") { Description = "Never show progress." };
        var calls = new Option<bool>("--calls") { Description = "Follow the call graph and report laundering: plain exports reaching GPL-only exports (EA3001) or unexported functions (EA3002). On a source tree also exports no other file uses (EA3003). Works on trees and YAML kernel models (samples/kernels)." };
        var failOn = new Option<string?>("--fail-on") { Description = "With --calls: lowest severity that makes the exit code 1 (error by default; laundering findings are warnings)." };
        failOn.AcceptOnlyFromAmong("error", "warning", "note");
        var depth = new Option<int>("--depth") { Description = "How many unexported helpers deep --calls follows (default 2).", DefaultValueFactory = _ => ExportAudit.Checks.Source.LaunderingCheck.DefaultDepth };
        var command = new Command("scan-source",
            "Scan a kernel source tree for exports (every EXPORT_SYMBOL form, the tracepoint/static-call/per-cpu family, #define wrappers, DEFAULT_SYMBOL_NAMESPACE), MODULE_LICENSE and MODULE_IMPORT_NS, with a C tokenizer: comments, strings and #if 0 never count.\n\n" +
            "Examples:\n  exportaudit scan-source /usr/src/linux-source-6.1 --format json:exports.json\n  exportaudit scan-source linux --kconfig /boot/config-$(uname -r) --arch x86\n" +
            "  exportaudit scan-source linux --calls --kconfig .config --arch x86 --format sarif:laundering.sarif\n" +
            "  exportaudit scan-source samples/kernels/hmm-4.19-before.yaml --calls\n" +
            "  exportaudit scan-source vendor_glue.ko --calls --kernel /usr/src/linux-headers-$(uname -r)\n" +
            "  exportaudit scan-source ~/src/vendor-driver --calls --kernel /usr/src/linux-headers-$(uname -r)")
        {
            dir, config, arch, format, jobs, noProgress, calls, depth, failOn, kernel,
        };
        command.SetAction(parse =>
        {
            var root = parse.GetValue(dir)!;
            if (parse.GetValue(calls))
            {
                var callTargets = ResolveTargets("scan-source", parse.GetValue(format) ?? [], null, ctx.Stderr);
                if (callTargets is null)
                {
                    return ExitUsageOrInput;
                }
                var threshold = FailLevel(parse.GetValue(failOn));
                var request = new AuditRequest(parse.GetValue(kernel) ?? [], []) { FailLevel = threshold };
                var isModel = File.Exists(root) && (root.EndsWith(".yaml", StringComparison.Ordinal) || root.EndsWith(".yml", StringComparison.Ordinal));
                var isSourceTree = Directory.Exists(root) && Directory.EnumerateFiles(root, "*.c", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Any();
                if (isModel || !File.Exists(root) && !Directory.Exists(root))
                {
                    return Emit(ctx, Auditor.Launder(root, Math.Max(0, parse.GetValue(depth)), request), callTargets, null);
                }
                if (!isSourceTree)
                {
                    // Modules (.ko, .o, compressed, or a directory of them): their relocations are the call graph.
                    var binaries = Auditor.LaunderBinaries([root], Math.Max(0, parse.GetValue(depth)),
                        request with { Read = new ReadOptions { Jobs = Math.Max(1, parse.GetValue(jobs)) } });
                    return Emit(ctx, binaries, callTargets, null, kernelRequired: false);
                }
                var treeConfig = ReadKernelConfig(parse.GetValue(config), ctx.Stderr, out var configOk);
                if (!configOk)
                {
                    return ExitUsageOrInput;
                }
                return NoGcRegion.Run(CallsBudget, () => Emit(ctx, ProgressDisplay.Run(ctx.StderrIsTerminal && !parse.GetValue(noProgress), progress =>
                    Auditor.LaunderTree(root, Math.Max(0, parse.GetValue(depth)), new ExportAudit.Ingest.Source.SourceScanOptions
                    {
                        Config = treeConfig, Arch = parse.GetValue(arch), Jobs = Math.Max(1, parse.GetValue(jobs)), Progress = progress,
                    }, request)), callTargets, null));
            }
            if (!Directory.Exists(root))
            {
                ctx.Stderr.WriteLine($"exportaudit: {root}: not a directory");
                return ExitUsageOrInput;
            }
            var targets = (parse.GetValue(format) ?? []).Select(OutputTarget.Parse).DefaultIfEmpty(new OutputTarget("text", null)).ToList();
            if (targets.Any(t => t.Format is not ("json" or "text")) || targets.Count(t => t.Path is null) > 1)
            {
                ctx.Stderr.WriteLine("exportaudit: scan-source writes json or text, at most one of them to stdout");
                return ExitUsageOrInput;
            }
            var errors = new InputErrors();
            var kconfig = ReadKernelConfig(parse.GetValue(config), ctx.Stderr, out var kconfigOk);
            if (!kconfigOk)
            {
                return ExitUsageOrInput;
            }
            return NoGcRegion.Run(ScanBudget, () => ScanAndWrite(ctx, root, errors, targets, kconfig, parse.GetValue(arch), parse.GetValue(jobs), parse.GetValue(noProgress)));
        });
        return command;
    }

    // scan-source without --calls: the tree's exports and licenses, written to every target.
    private static int ScanAndWrite(CommandContext ctx, string root, InputErrors errors, List<OutputTarget> targets, ExportAudit.Ingest.Config.KernelConfig? kconfig,
        string? arch, int jobs, bool noProgress)
    {
        var scan = ProgressDisplay.Run(ctx.StderrIsTerminal && !noProgress, progress =>
            new ExportAudit.Ingest.Source.SourceScanner(errors, new ExportAudit.Ingest.Source.SourceScanOptions
            {
                Config = kconfig, Arch = arch, Jobs = Math.Max(1, jobs), Progress = progress,
            }).Scan(root));
        foreach (var error in errors.Snapshot())
        {
            ctx.Stderr.WriteLine($"exportaudit: {(error.Severity == Severity.Warning ? "warning: " : "")}{error}");
        }
        foreach (var target in targets)
        {
            Action<TextWriter> write = target.Format == "json" ? w => ExportAudit.Reports.Source.SourceScanWriter.Json(scan, w) : w => ExportAudit.Reports.Source.SourceScanWriter.Text(scan, w);
            if (target.Path is null)
            {
                write(ctx.Stdout);
            }
            else if (!Write(ctx.Stderr, target.Path, () => { using var f = new StreamWriter(target.Path); write(f); }))
            {
                return ExitUsageOrInput;
            }
        }
        return errors.HasErrors ? ExitUsageOrInput : ExitClean;
    }

    /// <summary>`review PATCH...`: what a patch series does to the export table, and whom it breaks.</summary>
    private static Command ReviewCommand(CommandContext ctx)
    {
        var patches = new Argument<string[]>("PATCH")
        {
            Description = "git format-patch files, an mbox of a series, a single mail or a plain unified diff; '-' reads standard input. A series is reviewed in the order given.",
            Arity = ArgumentArity.OneOrMore,
        };
        var tree = new Option<string?>("--tree") { Description = "The source tree the series applies to. Only read, never modified; nothing in it runs, no config is read from it. Gives whole files, in-tree users and the laundering check on the code after the series." };
        var kernel = new Option<string[]>("--kernel", "-k")
        {
            Description = "The kernel before the series (Module.symvers, headers dir, vmlinux, /lib/modules tree or a YAML model): owners, CRCs and GPL-only status of what the patched code calls. Repeatable; sources merge.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var modules = new Option<string[]>("--modules", "-m")
        {
            Description = "Consumers to judge (.ko, .o, manifests, trees): which the series breaks and how, with modpost's and the loader's lines.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var format = new Option<string[]>("--format", "-f") { Description = "markdown, json, text (default), sarif, junit or github; FMT[:PATH], repeatable.", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--output", "-o") { Description = "Write the (single) --format to this file." };
        var failOn = new Option<string?>("--fail-on") { Description = "error (default: a consumer breaks), warning (also: an export made GPL-only, removed, moved, added without user, laundering) or note." };
        failOn.AcceptOnlyFromAmong("error", "warning", "note");
        var depth = new Option<int>("--depth") { Description = "How many static helpers deep the laundering check follows (default 2).", DefaultValueFactory = _ => ExportAudit.Checks.Source.LaunderingCheck.DefaultDepth };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var noProgress = new Option<bool>("--no-progress") { Description = "Never show progress." };
        var verbose = new Option<bool>("--verbose") { Description = "Show stack traces of internal errors, for bug reports." };
        var command = new Command("review",
            "Review a patch or a series for its effect on the export table: exports added, removed, made GPL-only or plain, moved between namespaces, with file and line; with --tree the in-tree users of each and the laundering check on the patched code; with --modules the consumers it breaks, in modpost's words.\n\n" +
            "Examples:\n  exportaudit review samples/patches/0007-mm-hmm-mark-hmm_devmem_-add-add_resource-EXPORT_SYMB.patch --kernel samples/kernels/hmm-4.19-before.yaml --modules samples/modules --format markdown\n" +
            "  git format-patch -3 --stdout | exportaudit review - --tree . --kernel /usr/src/linux-headers-$(uname -r) --format json\n" +
            "  exportaudit review series.mbox --tree ~/linux --modules /lib/modules/$(uname -r)/updates --format markdown:review.md")
        {
            patches, tree, kernel, modules, format, output, failOn, depth, jobs, noProgress, verbose,
        };
        command.SetAction(parse =>
        {
            var targets = ResolveTargets("review", parse.GetValue(format) ?? [], parse.GetValue(output), ctx.Stderr);
            if (targets is null)
            {
                return ExitUsageOrInput;
            }
            var threshold = FailLevel(parse.GetValue(failOn));
            var request = new AuditRequest(parse.GetValue(kernel) ?? [], parse.GetValue(modules) ?? []) { FailLevel = threshold };
            var result = ProgressDisplay.Run(ctx.StderrIsTerminal && !parse.GetValue(noProgress), progress =>
                Auditor.Review(parse.GetValue(patches)!, parse.GetValue(tree), Math.Max(0, parse.GetValue(depth)),
                    request with { Read = new ReadOptions { Jobs = Math.Max(1, parse.GetValue(jobs)), Progress = progress } },
                    () => { using var stdin = Console.OpenStandardInput(); using var copy = new MemoryStream(); stdin.CopyTo(copy); return copy.ToArray(); }));
            return Emit(ctx, result, targets, null, kernelRequired: false);
        });
        return command;
    }

    private static ExportAudit.Ingest.Config.KernelConfig? ReadKernelConfig(string? path, TextWriter stderr, out bool ok)
    {
        ok = true;
        if (path is null)
        {
            return null;
        }
        if (!File.Exists(path))
        {
            stderr.WriteLine($"exportaudit: {path}: no such file");
            ok = false;
            return null;
        }
        return ExportAudit.Ingest.Config.KernelConfig.Read(path);
    }

    /// <summary>`diff OLD NEW`: what changes in the export table, and with --modules what stops building or loading.</summary>
    private static Command DiffCommand(CommandContext ctx)
    {
        var oldKernel = new Argument<string>("OLD") { Description = "The kernel you have: any --kernel source (symvers, headers dir, vmlinux(z), /lib/modules tree, model)." };
        var newKernel = new Argument<string>("NEW") { Description = "The kernel you are moving to (another version or flavour)." };
        var modules = new Option<string[]>("--modules", "-m")
        {
            Description = "Modules to judge against both kernels (.ko, .o, manifests, trees): what stops building or loading on NEW, and why.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var format = new Option<string[]>("--format", "-f") { Description = "Report format(s), FMT[:PATH] (text, json, sarif, junit, github). Default: text.", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--output", "-o") { Description = "Write the (single) --format to this file." };
        var failOn = new Option<string?>("--fail-on") { Description = "error (default: a module breaks), warning (also: an export removed, made GPL-only or moved), or note (any change)." };
        failOn.AcceptOnlyFromAmong("error", "warning", "note");
        var jobs = new Option<int>("--jobs", "-j") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("diff",
            "Compare two kernels' exports: added, removed, made GPL-only, made plain, namespace, CRC and owner changes; with --modules, the modules that stop building or loading on NEW, with the new kernel's own lines.\n\n" +
            "Examples:\n  exportaudit diff samples/kernels/hmm-4.19-before.yaml samples/kernels/hmm-4.20-after.yaml --modules samples/modules\n" +
            "  exportaudit diff /usr/src/linux-headers-6.1.0-26-amd64 /usr/src/linux-headers-6.1.0-26-rt-amd64 --modules zfs.ko spl.ko")
        {
            oldKernel, newKernel, modules, format, output, failOn, jobs,
        };
        command.SetAction(parse =>
        {
            var targets = ResolveTargets("diff", parse.GetValue(format) ?? [], parse.GetValue(output), ctx.Stderr);
            if (targets is null)
            {
                return ExitUsageOrInput;
            }
            var threshold = FailLevel(parse.GetValue(failOn));
            var result = Auditor.Diff(parse.GetValue(oldKernel)!, parse.GetValue(newKernel)!,
                new AuditRequest([], parse.GetValue(modules) ?? []) { Read = new ReadOptions { Jobs = Math.Max(1, parse.GetValue(jobs)) }, FailLevel = threshold });
            return Emit(ctx, result, targets, null);
        });
        return command;
    }

    /// <summary>--fail-on's level (its values are checked by the parser); error when not given.</summary>
    private static Severity FailLevel(string? text) => text is not null && Severities.TryParse(text, out var level) ? level : Severity.Error;

    private static T? Read<T>(InputErrors errors, Func<T> read) where T : class
    {
        try
        {
            return read();
        }
        catch (InputException e)
        {
            errors.Add(e.Error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Error("", null, e.Message);
        }
        return null;
    }

    private static bool Write(TextWriter stderr, string path, Action write)
    {
        try
        {
            write();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"exportaudit: {path}: cannot write: {e.Message}");
            return false;
        }
    }

    private static string RuleCacheDirectory() =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "exportaudit", "rules");

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
