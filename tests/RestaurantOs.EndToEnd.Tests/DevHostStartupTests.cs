using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using RestaurantOs.DevHost;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// What a person meets when starting DevHost: where the data lives, that <c>--reset</c> really starts empty, that a
/// taken port is one clear sentence, and that DevHost calls itself a development host.
/// </summary>
public sealed class DevHostStartupTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ros-startup-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_taken_port_is_reported_in_one_sentence_that_says_how_to_pick_another()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var ex = Assert.Throws<PortInUseException>(() => DevHostApp.Create(["--urls", $"http://127.0.0.1:{port}", "--data", _directory]));

        Assert.Equal(port, ex.Port);
        Assert.Contains($"port {port} is already in use", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--urls", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Data_is_kept_in_the_data_folder_between_runs_and_reset_starts_empty()
    {
        var restaurant = Guid.NewGuid();
        var order = Guid.NewGuid();

        await using (var first = await StartAsync())
        {
            Assert.Equal(Environments.Development, first.App.Environment.EnvironmentName);
            await first.CreateOrderAsync(restaurant, order);
        }

        Assert.True(File.Exists(Path.Combine(_directory, DevHostData.StoreFileName)), "the store lives in the --data folder");

        await using (var second = await StartAsync())
        {
            Assert.Equal(HttpStatusCode.OK, await second.GetOrderStatusAsync(restaurant, order));
        }

        await using (var reset = await StartAsync("--reset"))
        {
            Assert.Equal(HttpStatusCode.NotFound, await reset.GetOrderStatusAsync(restaurant, order));
        }
    }

    private async Task<RunningHost> StartAsync(params string[] extra)
    {
        var app = DevHostApp.Create(
        [
            "--urls", "http://127.0.0.1:0",
            "--data", _directory,
            "--Logging:LogLevel:Default=Warning",
            .. extra,
        ]);
        await app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        return new RunningHost(app);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private sealed class RunningHost(WebApplication app) : IAsyncDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(15) };

        public WebApplication App { get; } = app;

        public async Task CreateOrderAsync(Guid restaurant, Guid order)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/orders")
            {
                Content = new StringContent(
                    $$"""{"id":"{{order}}","table_number":"T1","items":[{"name":"Soup","quantity":1,"price":900}]}""",
                    Encoding.UTF8,
                    "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(restaurant));
            using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        public async Task<HttpStatusCode> GetOrderStatusAsync(Guid restaurant, Guid order)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/orders/{order}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(restaurant));
            using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
            return response.StatusCode;
        }

        private async Task<string> TokenAsync(Guid restaurant)
        {
            var body = await _http.GetStringAsync(new Uri($"dev/token?restaurant_id={restaurant}&role=manager", UriKind.Relative), TestContext.Current.CancellationToken);
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("token").GetString()!;
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await App.StopAsync(CancellationToken.None);
            await App.DisposeAsync();
        }
    }
}
