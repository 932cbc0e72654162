using System.Diagnostics;
using System.Text;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// Microsoft's own browser SDK (<c>@azure/web-pubsub-client</c> 1.1.0, pinned in <c>tests/sdk/package-lock.json</c>)
/// with its default options against a real DevHost: <c>node --test tests/sdk/sdk.test.mjs</c> with
/// <c>ROS_DEVHOST_URL</c> set. Needs <c>npm ci --prefix tests/sdk</c> first; without it the test is skipped locally
/// and fails under CI.
/// </summary>
public sealed class OfficialSdkTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Microsofts_web_pubsub_client_connects_receives_and_recovers_a_cut_socket()
    {
        var root = FindRepositoryRoot();
        var sdkFolder = Path.Combine(root, "tests", "sdk");
        if (!Directory.Exists(Path.Combine(sdkFolder, "node_modules", "@azure", "web-pubsub-client")))
        {
            const string Missing = "tests/sdk/node_modules is missing: run 'npm ci --prefix tests/sdk' first.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(Missing);
            }

            Assert.Skip(Missing);
        }

        var node = Environment.GetEnvironmentVariable("NODE_EXE") ?? "node";
        var start = new ProcessStartInfo(node)
        {
            WorkingDirectory = sdkFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--test");
        start.ArgumentList.Add("--test-reporter=tap");
        // The SDK's keep-alive loops sleep out their interval (up to 40 s) after stop(); nothing is left to run.
        start.ArgumentList.Add("--test-force-exit");
        start.ArgumentList.Add("sdk.test.mjs");
        start.Environment["ROS_DEVHOST_URL"] = host.BaseUri.ToString();

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
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node --test tests/sdk/sdk.test.mjs did not finish within {Timeout.TotalSeconds} s.\n{Text(output)}");
        }

        Assert.True(process.ExitCode == 0, $"node --test tests/sdk/sdk.test.mjs exited with {process.ExitCode}:\n{Text(output)}");
        // All three node tests ran and passed (a file that defines none would also exit 0).
        Assert.Matches(@"(?m)^# pass 3$", Text(output));
        TestContext.Current.TestOutputHelper?.WriteLine(Text(output));
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
