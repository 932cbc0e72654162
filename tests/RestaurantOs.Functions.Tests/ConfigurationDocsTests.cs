using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using RestaurantOs.Functions.Composition;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Storage;
using RestaurantOs.WebPubSub.Client;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// The settings a user can give are the settings the code reads: README's configuration table lists every option the
/// Functions app binds (found by reflection over the options classes) and every setting it reads by name, and
/// local.settings.sample.json sets only settings the code reads, including every required one.
/// </summary>
public sealed partial class ConfigurationDocsTests
{
    /// <summary>Settings read by name rather than through an options class.</summary>
    private static readonly string[] DirectKeys =
    [
        "ChangeFeedSchedule", "KdsSchedule", "AuthGraceSchedule", "PresenceSchedule", LogLevelSetting.Key,
        "APPLICATIONINSIGHTS_CONNECTION_STRING", "AZURE_CLIENT_ID",
    ];

    /// <summary>Host settings in the sample that Azure Functions itself reads, not the app.</summary>
    private static readonly string[] HostKeys = ["AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME"];

    /// <summary>Every <c>Section:Property</c> the app's options classes bind (any public class with a <c>SectionName</c>).</summary>
    private static SortedSet<string> OptionKeys()
    {
        var assemblies = new[] { typeof(TimerFunctions), typeof(AppJwtOptions), typeof(StorageOptions), typeof(WebPubSubOptions) }.Select(t => t.Assembly).Distinct();
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assemblies.SelectMany(a => a.GetExportedTypes()))
        {
            if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() is not string section)
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var bindable = property.SetMethod?.IsPublic == true
                    || (property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(property.PropertyType));
                if (bindable)
                {
                    keys.Add($"{section}:{property.Name}");
                }
            }
        }

        return keys;
    }

    private static string RepoFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, name);
            if (File.Exists(candidate) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{name} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>README's configuration table: setting → required column.</summary>
    private static Dictionary<string, string> ReadmeTable() =>
        File.ReadAllLines(RepoFile("README.md"))
            .SkipWhile(l => l != "## Configuration")
            .Skip(1)
            .TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Select(l => Row().Match(l))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["required"].Value, StringComparer.Ordinal);

    [Fact]
    public void The_readme_lists_every_setting_the_code_reads_and_no_other()
    {
        var read = OptionKeys();
        Assert.Contains("Pipeline:FollowInterval", read);
        Assert.Contains("WebPubSub:Upstream:AllowedOrigins", read);
        read.UnionWith(DirectKeys);

        var documented = ReadmeTable().Keys.ToHashSet(StringComparer.Ordinal);
        Assert.True(read.SetEquals(documented),
            $"read but not in README: [{string.Join(", ", read.Except(documented))}]; in README but not read: [{string.Join(", ", documented.Except(read))}]");
    }

    [Fact]
    public void The_sample_sets_only_settings_the_code_reads_and_every_required_one()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(RepoFile("local.settings.sample.json")));
        var set = sample.RootElement.GetProperty("Values").EnumerateObject()
            .Select(p => p.Name.Replace("__", ":", StringComparison.Ordinal))
            .Where(k => !HostKeys.Contains(k))
            .ToList();
        var read = OptionKeys();
        read.UnionWith(DirectKeys);
        var unknown = set.Where(k => !read.Contains(k)).ToList();
        Assert.True(unknown.Count == 0, $"the sample sets settings the code does not read: [{string.Join(", ", unknown)}]");

        var required = ReadmeTable().Where(r => r.Value == "yes").Select(r => r.Key).ToList();
        Assert.NotEmpty(required);
        var missing = required.Where(k => !set.Contains(k)).ToList();
        Assert.True(missing.Count == 0, $"required settings missing from the sample: [{string.Join(", ", missing)}]");
    }

    [Fact]
    public void The_emulator_docs_point_event_handlers_at_the_route_the_app_serves()
    {
        var routes = typeof(TimerFunctions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetParameters())
            .Select(p => p.GetCustomAttribute<Microsoft.Azure.Functions.Worker.HttpTriggerAttribute>()?.Route)
            .Where(r => r is not null)
            .Select(r => "/api/" + r)
            .ToHashSet(StringComparer.Ordinal);
        var handlers = HandlerUrl().Matches(File.ReadAllText(RepoFile(Path.Combine("docs", "emulator.md")))).Select(m => new Uri(m.Groups["url"].Value)).ToList();

        Assert.True(handlers.Count >= 3, $"found {handlers.Count} handler URLs in docs/emulator.md");
        Assert.All(handlers, url => Assert.True(routes.Contains(url.AbsolutePath), $"docs/emulator.md names {url}, which no function answers"));
    }

    [GeneratedRegex(@"^\| `(?<key>[A-Za-z_:]+)` \| (?<required>[^|]+?) \|")]
    private static partial Regex Row();

    [GeneratedRegex(@"UrlTemplate['""]?\s*[:=]\s*['""]?(?<url>https?://[^'""\s]+)")]
    private static partial Regex HandlerUrl();
}
