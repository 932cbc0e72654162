using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>Runs the browser client's and the pages' unit tests (<c>node --test tests/client/</c>) as part of the .NET suite.</summary>
public sealed class ClientUnitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Browser_client_unit_tests_pass_under_node()
    {
        // TAP whatever the node version's default, so the summary below can be read.
        var (exitCode, output) = await NodeProcess.RunAsync(NodeProcess.Node, ["--test", "--test-reporter=tap", "tests/client/"], RepoFiles.Root(), Timeout);

        Assert.True(exitCode == 0, $"node --test tests/client/ exited with {exitCode}:\n{output}");
        // At least one test ran (an empty folder would also exit 0).
        Assert.Matches(@"(?m)^# pass [1-9]\d*$", output);
    }
}
