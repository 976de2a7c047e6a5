using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Checks;

/// <summary>A custom rule that throws is reported as an error finding of that rule, not a crash of the audit.</summary>
public static class CustomRuleRunner
{
    public static readonly RuleDescriptor RuleFailed = new(
        "EA5009", "custom-rule-failed", Severity.Error,
        "A custom rule threw an exception",
        "A rule from the rules directory threw while checking a module: the rule has a bug. The message names the rule and the exception; the audit of everything else went on.");

    public static IEnumerable<Finding> Guard(RuleDescriptor rule, KernelModule module, Func<IEnumerable<Finding>> check)
    {
        try
        {
            return check();
        }
        catch (Exception e)
        {
            return [new Finding(RuleFailed, Severity.Error, module.Name, null, null, null,
                $"custom rule {rule.Id} threw {e.GetType().Name}: {e.Message}", new Evidence { ModulePath = module.Path })
            { Location = module.ReadFrom }];
        }
    }
}
