using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RestaurantOs.DevHost;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// A graceful stop of DevHost: open sockets close with 1001, the app still answers their <c>disconnected</c>
/// upstream calls, and a screen reconnecting while the stop drains gets HTTP 503 instead of a socket closed 1011.
/// </summary>
public sealed class ShutdownTests
{
    private sealed record LogRecord(string Category, LogLevel Level, EventId EventId, string Message);

    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<LogRecord> Records { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, Records);

        public void Dispose()
        {
        }

        private sealed class Recorder(string category, ConcurrentQueue<LogRecord> records) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                records.Enqueue(new LogRecord(category, logLevel, eventId, formatter(state, exception)));
        }
    }

    [Fact]
    public async Task Stopping_closes_sockets_with_1001_delivers_their_disconnected_events_and_refuses_new_upgrades_with_503()
    {
        var directory = Directory.CreateTempSubdirectory("ros-shutdown-").FullName;
        var logs = new RecordingLoggerProvider();
        var app = DevHostApp.Create(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Storage:Sqlite:Path={Path.Combine(directory, "shutdown.db")}",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:RestaurantOs.Realtime.Services.ConnectHandler=Debug",
        ], builder => builder.Logging.AddProvider(logs));
        var stopped = false;
        try
        {
            using (var start = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await app.StartAsync(start.Token);
            }

            var baseUri = new Uri(app.Urls.First().TrimEnd('/') + "/");
            var wsUri = new UriBuilder(baseUri) { Scheme = "ws", Path = "/ws" }.Uri;
            using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(15) };
            var restaurant = Guid.NewGuid();
            var token = await TokenAsync(http, restaurant);

            var clients = new List<WsClient>();
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await DevHostFixture.ConnectAsyncAt(wsUri, token, $"screen-{i}"));
            }

            // A socket that never reads, so it never answers the close: the stop drains for the transport's close
            // grace, which is the window in which a reconnect must be refused.
            using var silent = new ClientWebSocket();
            using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                await silent.ConnectAsync(new Uri(wsUri, "?token=" + Uri.EscapeDataString(token)), connect.Token);
            }

            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            var stopping = app.StopAsync(CancellationToken.None);
            stopped = true;
            await WaitUntilAsync(() => lifetime.ApplicationStopping.IsCancellationRequested, "the stop to begin");
            Assert.False(stopping.IsCompleted, "The stop finished before the silent socket's close grace.");

            var refused = await WsClient.TryConnectStatusAsync(new Uri(wsUri, "?token=" + Uri.EscapeDataString(token)));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);

            foreach (var client in clients)
            {
                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await client.WaitForCloseAsync(TimeSpan.FromSeconds(15)));
            }

            await stopping.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

            // The app answered every disconnected call (four sockets), and no upstream call failed.
            var disconnected = logs.Records.Count(r => r.Category.EndsWith(".ConnectHandler", StringComparison.Ordinal) && r.EventId.Id == 3);
            Assert.True(disconnected == 4, $"The app saw {disconnected} disconnected events, expected 4. Logs:\n{Dump(logs)}");
            Assert.DoesNotContain(logs.Records, r => r.EventId.Id == 2011 && r.Category.StartsWith("RestaurantOs.Emulator", StringComparison.Ordinal)); // UpstreamFailed
            Assert.DoesNotContain(logs.Records, r => r.Level >= LogLevel.Error);

            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
        finally
        {
            if (!stopped)
            {
                await app.StopAsync(CancellationToken.None);
            }

            await app.DisposeAsync();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // SQLite may hold the file a moment longer; the OS cleans the temp folder.
            }
        }
    }

    private static string Dump(RecordingLoggerProvider logs) =>
        string.Join('\n', logs.Records.Select(r => $"  {r.Level} {r.Category} [{r.EventId.Id}] {r.Message}"));

    private static async Task<string> TokenAsync(HttpClient http, Guid restaurant)
    {
        var body = await http.GetStringAsync(new Uri($"dev/token?restaurant_id={restaurant}&role=kitchen", UriKind.Relative));
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return json.RootElement.GetProperty("token").GetString()!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
