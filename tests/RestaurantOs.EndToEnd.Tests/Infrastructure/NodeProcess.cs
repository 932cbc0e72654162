using System.Diagnostics;
using System.Text;

namespace RestaurantOs.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Runs a Node.js tool (node, npm, a package's bin) to completion for a test: output of both streams collected, a
/// timeout that kills the process tree, and a clear failure when the tool is not installed.
/// </summary>
internal static class NodeProcess
{
    /// <summary>True under CI (<c>CI=true</c>), where a missing prerequisite fails instead of skipping.</summary>
    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Skips the test (locally) or fails it (under CI) when <paramref name="path"/> does not exist, naming the command
    /// that installs it.
    /// </summary>
    public static void Require(string path, string installCommand)
    {
        if (Directory.Exists(path) || File.Exists(path))
        {
            return;
        }

        var missing = $"{Path.GetRelativePath(RepoFiles.Root(), path)} is missing: run '{installCommand}' first.";
        if (UnderCi)
        {
            Assert.Fail(missing);
        }

        Assert.Skip(missing);
    }

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/>; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"Could not start '{fileName}' (install Node.js 20+ or set NODE_EXE): {ex.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds} s.\n{Text(output)}");
        }

        // WaitForExitAsync returns once the streams are drained too.
        return (process.ExitCode, Text(output));
    }

    /// <summary>The node executable: <c>NODE_EXE</c> or <c>node</c> on the PATH.</summary>
    public static string Node => Environment.GetEnvironmentVariable("NODE_EXE") ?? "node";

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
