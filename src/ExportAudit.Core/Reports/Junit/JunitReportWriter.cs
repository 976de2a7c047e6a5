using System.Xml;
using ExportAudit.Audit;
using ExportAudit.Diagnostics;

namespace ExportAudit.Reports.Junit;

/// <summary>
/// JUnit XML for CI systems that show test results: one test case per module; a module with findings at
/// or above --fail-on (not waived, not in the baseline) fails, its failure listing them all; lesser
/// findings go to system-out. Unreadable inputs are test cases in error.
/// </summary>
public sealed class JunitReportWriter : IReportWriter
{
    public string Format => "junit";

    public bool Supports(string command) => true;

    public void Write(AuditResult result, TextWriter output)
    {
        var failing = result.Failing.ToHashSet();
        var byModule = result.SortedFindings.Where(f => f.Rule.Category != "input").ToLookup(f => f.Module);
        var modules = result.Modules.Select(m => (m.Name, m.Path)).Distinct().OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Path, StringComparer.Ordinal).ToArray();
        var inputErrors = result.InputErrors.Where(e => e.Severity == Severity.Error).ToArray();
        var failures = modules.Count(m => byModule[m.Name].Any(failing.Contains));

        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false, NewLineChars = "\n" };
        using var w = XmlWriter.Create(output, settings);
        w.WriteStartDocument();
        w.WriteStartElement("testsuites");
        w.WriteAttributeString("name", "exportaudit");
        w.WriteAttributeString("tests", (modules.Length + inputErrors.Length).ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", failures.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteAttributeString("errors", inputErrors.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteStartElement("testsuite");
        w.WriteAttributeString("name", "exportaudit " + result.Command);
        w.WriteAttributeString("tests", (modules.Length + inputErrors.Length).ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", failures.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteAttributeString("errors", inputErrors.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, path) in modules)
        {
            w.WriteStartElement("testcase");
            w.WriteAttributeString("classname", "exportaudit." + result.Command);
            w.WriteAttributeString("name", name);
            w.WriteAttributeString("file", path);
            var findings = byModule[name].ToArray();
            var fails = findings.Where(failing.Contains).ToArray();
            if (fails.Length > 0)
            {
                w.WriteStartElement("failure");
                w.WriteAttributeString("type", string.Join(",", fails.Select(f => f.Rule.Id).Distinct()));
                w.WriteAttributeString("message", fails.Length == 1 ? fails[0].Message : $"{fails.Length} findings, first: {fails[0].Message}");
                w.WriteString(string.Join("\n", fails.Select(Line)));
                w.WriteEndElement();
            }
            var rest = findings.Where(f => !failing.Contains(f)).ToArray();
            if (rest.Length > 0)
            {
                w.WriteElementString("system-out", string.Join("\n", rest.Select(Line)));
            }
            w.WriteEndElement();
        }
        foreach (var error in inputErrors)
        {
            w.WriteStartElement("testcase");
            w.WriteAttributeString("classname", "exportaudit.input");
            w.WriteAttributeString("name", error.Path);
            w.WriteStartElement("error");
            w.WriteAttributeString("type", "EA9001");
            w.WriteAttributeString("message", error.ToString());
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndDocument();
        w.Flush();
        output.Write('\n');
    }

    private static string Line(Finding f) =>
        $"{f.Severity.Name()} {f.Rule.Id} {f.Message}{(f.Suppression is { } s ? $" [{s.Kind}: {s.Justification}]" : "")}";
}
