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
        var sdkFolder = Path.Combine(RepoFiles.Root(), "tests", "sdk");
        NodeProcess.Require(Path.Combine(sdkFolder, "node_modules", "@azure", "web-pubsub-client"), "npm ci --prefix tests/sdk");

        // The SDK's keep-alive loops sleep out their interval (up to 40 s) after stop(); nothing is left to run.
        var (exitCode, output) = await NodeProcess.RunAsync(
            NodeProcess.Node,
            ["--test", "--test-reporter=tap", "--test-force-exit", "sdk.test.mjs"],
            sdkFolder,
            Timeout,
            new Dictionary<string, string> { ["ROS_DEVHOST_URL"] = host.BaseUri.ToString() });

        Assert.True(exitCode == 0, $"node --test tests/sdk/sdk.test.mjs exited with {exitCode}:\n{output}");
        // All three node tests ran and passed (a file that defines none would also exit 0).
        Assert.Matches(@"(?m)^# pass 3$", output);
        TestContext.Current.TestOutputHelper?.WriteLine(output);
    }
}
