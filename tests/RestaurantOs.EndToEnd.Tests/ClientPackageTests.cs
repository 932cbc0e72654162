using System.Net;
using System.Text.Json;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// The browser client as the npm package <c>@restaurant-os/realtime</c> (clients/js): its types hold under TypeScript,
/// its React hooks work when React renders them, <c>npm pack</c> ships exactly the package's files, and DevHost serves
/// the package's own file. The first three need <c>npm ci --prefix clients/js</c> (skipped locally without it,
/// failing under CI).
/// </summary>
public sealed class ClientPackageTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static string Package => Path.Combine(RepoFiles.Root(), "clients", "js");

    private static void RequireDevDependencies() =>
        NodeProcess.Require(Path.Combine(Package, "node_modules", "typescript"), "npm ci --prefix clients/js");

    [Fact]
    public async Task The_declarations_and_a_typed_app_pass_the_typescript_compiler()
    {
        RequireDevDependencies();
        var tsc = Path.Combine(Package, "node_modules", "typescript", "bin", "tsc");

        var (exitCode, output) = await NodeProcess.RunAsync(NodeProcess.Node, [tsc, "--noEmit", "-p", "tsconfig.json"], Package, Timeout);

        Assert.True(exitCode == 0, $"tsc --noEmit failed:\n{output}");
    }

    [Fact]
    public async Task The_react_hooks_render_live_events_under_react()
    {
        RequireDevDependencies();

        var (exitCode, output) = await NodeProcess.RunAsync(NodeProcess.Node, ["--test", "--test-reporter=tap", "test/"], Package, Timeout);

        Assert.True(exitCode == 0, $"node --test clients/js/test/ exited with {exitCode}:\n{output}");
        Assert.Matches(@"(?m)^# pass [1-9]\d*$", output);
    }

    [Fact]
    public async Task Npm_pack_ships_exactly_the_files_the_package_lists()
    {
        RequireDevDependencies();
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Package, "package.json"), TestContext.Current.CancellationToken));
        var listed = manifest.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).Append("package.json").Order(StringComparer.Ordinal).ToList();
        // Every export resolves to a shipped file.
        foreach (var export in manifest.RootElement.GetProperty("exports").EnumerateObject())
        {
            var targets = export.Value.ValueKind == JsonValueKind.String
                ? [export.Value.GetString()!]
                : export.Value.EnumerateObject().Select(t => t.Value.GetString()!).ToList();
            Assert.All(targets, t => Assert.Contains(t.TrimStart('.', '/'), listed));
        }

        var npm = Environment.GetEnvironmentVariable("NPM_EXE") ?? "npm";
        var (exitCode, output) = await NodeProcess.RunAsync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], Package, Timeout);

        Assert.True(exitCode == 0, $"npm pack --dry-run failed:\n{output}");
        using var pack = JsonDocument.Parse(output[output.IndexOf('[', StringComparison.Ordinal)..]);
        var shipped = pack.RootElement[0].GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(listed, shipped);
        Assert.Equal("0.1.0", pack.RootElement[0].GetProperty("version").GetString());
    }

    [Theory]
    [InlineData("restaurant-os-realtime.js")]
    [InlineData("restaurant-os-realtime.d.ts")]
    [InlineData("stores.js")]
    public async Task DevHost_serves_the_packages_own_file(string file)
    {
        using var response = await host.Http.GetAsync(new Uri(host.BaseUri, "js/" + file), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            await File.ReadAllTextAsync(Path.Combine(Package, file), TestContext.Current.CancellationToken),
            await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
