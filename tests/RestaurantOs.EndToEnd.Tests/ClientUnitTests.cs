using System.Diagnostics;
using System.Text;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>Runs the browser client's own unit tests (<c>node --test tests/client/</c>) as part of the .NET suite.</summary>
public sealed class ClientUnitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Browser_client_unit_tests_pass_under_node()
    {
        var root = FindRepositoryRoot();
        var node = Environment.GetEnvironmentVariable("NODE_EXE") ?? "node";
        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--test");
        // TAP whatever the node version's default, so the summary below can be read.
        start.ArgumentList.Add("--test-reporter=tap");
        start.ArgumentList.Add("tests/client/");

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
            Assert.Fail($"Could not start '{node}' (install Node.js 20+ or set NODE_EXE): {ex.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node --test tests/client/ did not finish within {Timeout.TotalSeconds} s.\n{Text(output)}");
        }

        // WaitForExitAsync returns once the streams are drained too.
        Assert.True(process.ExitCode == 0, $"node --test tests/client/ exited with {process.ExitCode}:\n{Text(output)}");
        // At least one test ran (an empty folder would also exit 0).
        Assert.Matches(@"(?m)^# pass [1-9]\d*$", Text(output));
    }

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

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RestaurantOs.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        Assert.Fail($"RestaurantOs.Functions.sln not found above {AppContext.BaseDirectory}.");
        return "";
    }
}
