using ExportAudit.Ingest.Config;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Where a file is in its #if/#elif/#else/#endif branches under a kernel config: each branch is true, false or
/// unknown (<see cref="ConditionEvaluator"/>); code is left out only under a branch known to be false.
/// </summary>
public sealed class ConditionStack(KernelConfig? config)
{
    private readonly ConditionEvaluator _evaluator = new(config);
    private readonly List<(bool? Value, bool AnyTrue, bool AnyUnknown)> _stack = [];
    private int _false; // branches on the stack known to be false

    public bool Inactive => _false > 0;

    /// <summary>Notes an active #define or #undef, so a later #ifdef on the same name in the file is known.</summary>
    public void Local(string name, bool defined) => _evaluator.SetLocal(name, defined);

    /// <summary>Applies a directive (its keyword, then its tokens); false when it is not a conditional.</summary>
    public bool Apply(string keyword, IReadOnlyList<string> rest)
    {
        switch (keyword)
        {
            case "if":
                Push(_evaluator.Evaluate(rest));
                return true;
            case "ifdef":
                Push(rest.Count > 0 ? _evaluator.IsDefined(rest[0]) : null);
                return true;
            case "ifndef":
                Push(rest.Count > 0 ? !_evaluator.IsDefined(rest[0]) : null);
                return true;
            case "elif" or "else" or "elifdef" or "elifndef" when _stack.Count > 0:
                var (value, anyTrue, anyUnknown) = Pop();
                anyTrue |= value == true;
                anyUnknown |= value is null;
                bool? own = keyword switch
                {
                    "else" => true,
                    "elif" => _evaluator.Evaluate(rest),
                    "elifdef" => rest.Count > 0 ? _evaluator.IsDefined(rest[0]) : null,
                    _ => rest.Count > 0 ? !_evaluator.IsDefined(rest[0]) : null,
                };
                Push(anyTrue ? false : own == false ? false : anyUnknown ? null : own, anyTrue, anyUnknown);
                return true;
            case "endif" when _stack.Count > 0:
                Pop();
                return true;
            default:
                return keyword is "elif" or "else" or "elifdef" or "elifndef" or "endif";
        }
    }

    private void Push(bool? value, bool anyTrue = false, bool anyUnknown = false)
    {
        _stack.Add((value, anyTrue, anyUnknown));
        if (value == false) _false++;
    }

    private (bool? Value, bool AnyTrue, bool AnyUnknown) Pop()
    {
        var top = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        if (top.Value == false) _false--;
        return top;
    }
}
