using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RestaurantOs.DevHost;
using RestaurantOs.DevHost.Dev;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// DevHost keeps secrets the way Azure does: the connection-state key is generated at the first start, stored in the
/// data folder readable by the owner only, and the same key is used on every later start.
/// </summary>
public sealed class DevHostSecretsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ros-secrets-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans its temp folder.
        }
    }

    private async Task<string> KeyOfANewDevHostAsync()
    {
        var app = DevHostApp.Create(["--urls", "http://127.0.0.1:0", $"--Storage:Sqlite:Path={Path.Combine(_directory, "data", "store.db")}"]);
        await using (app)
        {
            return app.Services.GetRequiredService<IOptions<ConnectionStateProtectionOptions>>().Value.Key!;
        }
    }

    [Fact]
    public async Task The_state_key_is_generated_once_kept_owner_only_and_reused()
    {
        var first = await KeyOfANewDevHostAsync();
        var file = Path.Combine(_directory, "data", DevSecrets.StateKeyFileName);

        Assert.True(File.Exists(file), $"{file} was not created");
        Assert.Equal(first, File.ReadAllText(file).Trim());
        Assert.True(ConnectionStateProtectionOptions.TryDecodeKey(first, out var bytes) && bytes.Length == 32);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal(first, await KeyOfANewDevHostAsync());
    }

    [Fact]
    public async Task A_configured_key_wins_and_no_file_is_written()
    {
        const string Configured = "Y29uZmlndXJlZC1jb25uZWN0aW9uLXN0YXRlLWtleS0wMTIzNA==";
        var app = DevHostApp.Create(["--urls", "http://127.0.0.1:0", $"--Storage:Sqlite:Path={Path.Combine(_directory, "store.db")}", $"--ConnectionStateProtection:Key={Configured}"]);
        await using (app)
        {
            Assert.Equal(Configured, app.Services.GetRequiredService<IOptions<ConnectionStateProtectionOptions>>().Value.Key);
        }

        Assert.False(File.Exists(Path.Combine(_directory, DevSecrets.StateKeyFileName)));
    }

    [Fact]
    public void A_corrupt_key_file_stops_the_start_with_the_file_named()
    {
        File.WriteAllText(Path.Combine(_directory, DevSecrets.StateKeyFileName), "not a key");

        var error = Assert.Throws<InvalidOperationException>(() => DevSecrets.LoadOrCreateStateKey(_directory));
        Assert.Contains(DevSecrets.StateKeyFileName, error.Message, StringComparison.Ordinal);
    }
}
