using System.Text;
using ExportAudit.Cli;

// Standard output through one buffered UTF-8 writer (Console.Out flushes every write, and its encoder sits between
// the JSON writers' bytes and the stream); flushed before the exit code is returned.
using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
var status = ExportAuditCommand.Run(args, stdout, Console.Error, stderrIsTerminal: !Console.IsErrorRedirected);
stdout.Flush();
return status;
