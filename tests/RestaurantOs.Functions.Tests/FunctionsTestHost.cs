using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Moq;
using RestaurantOs.Functions.Composition;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Storage;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// The Functions app's real composition root over a real SQLite file, with only the Azure Web PubSub service
/// mocked (it cannot run here). Function classes are created from DI and called with real ASP.NET Core requests.
/// </summary>
public sealed class FunctionsTestHost : IAsyncDisposable
{
    public const string AccessKey = "test-access-key-0123456789-0123456789-abcdef";
    public const string ServiceHost = "wps.example.test";
    public const string SigningKey = "functions-tests-signing-key-0123456789-abcdef";
    public const string Issuer = "tests";
    public const string Audience = "restaurant-os";

    private readonly string _directory = Directory.CreateTempSubdirectory("ros-functions-").FullName;

    /// <summary>The connection-state key the host runs with (base64 of 32 bytes).</summary>
    public const string StateKey = "Zm9yLXRlc3RzLW9ubHktY29ubmVjdGlvbi1zdGF0ZS1rZXk=";

    /// <param name="settings">Settings that replace or add to the defaults (a null value removes one).</param>
    /// <param name="configure">Last changes to the services (a decorator around a port, say).</param>
    public FunctionsTestHost(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStateProtection:Key"] = StateKey,
            ["Auth:Issuer"] = Issuer,
            ["Auth:Audience"] = Audience,
            ["Auth:SigningKey"] = SigningKey,
            ["Auth:AuthGraceSeconds"] = "10",
            ["Storage:Provider"] = "sqlite",
            ["Storage:Sqlite:Path"] = Path.Combine(_directory, "store.db"),
            ["WebPubSub:ConnectionString"] = $"Endpoint=https://{ServiceHost};AccessKey={AccessKey};Version=1.0;",
            ["WebPubSub:Hub"] = "restaurant",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values.Where(kv => kv.Value is not null)).Build();

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<TimeProvider>(Time);
        services.AddRestaurantOsRealtime(configuration);
        configure?.Invoke(services);
        Service.SetReturnsDefault(Task.CompletedTask);
        Service.Setup(s => s.Hub).Returns("restaurant");
        Service.Setup(s => s.Endpoint).Returns(new Uri($"https://{ServiceHost}"));
        services.AddSingleton(Service.Object);
        Services = services.BuildServiceProvider(validateScopes: true);
    }

    public FakeTimeProvider Time { get; }

    /// <summary>The Azure edge: every REST call the app makes to Web PubSub lands here.</summary>
    public Mock<IWebPubSubServiceClient> Service { get; } = new(MockBehavior.Loose);

    public ServiceProvider Services { get; }

    public async Task InitializeAsync()
    {
        await Services.GetRequiredService<IStoreInitializer>().InitializeAsync(CancellationToken.None);
    }

    public T Create<T>() where T : class => ActivatorUtilities.CreateInstance<T>(Services);

    public string Token(Guid restaurantId, Role role, string subject = "user-1", IEnumerable<Guid>? orderIds = null, TimeSpan? lifetime = null) =>
        AppTokenIssuer.CreateHs256(SigningKey, Issuer, Audience, subject, restaurantId, role, orderIds, Time.GetUtcNow().AddMinutes(-1), Time.GetUtcNow() + (lifetime ?? TimeSpan.FromHours(1)));

    public HttpRequest Request(string method, string path, string? token = null, string? json = null, string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        context.Request.Method = method;
        var query = path.IndexOf('?', StringComparison.Ordinal);
        context.Request.Path = query < 0 ? path : path[..query];
        context.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(path[query..]);
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("app.example.test");
        if (token is not null)
        {
            context.Request.Headers.Authorization = $"Bearer {token}";
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        if (json is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = contentType;
        }

        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    /// <summary>Executes a function's result on its response and returns status and body.</summary>
    public static async Task<(int Status, string Body, IHeaderDictionary Headers)> ExecuteAsync(HttpRequest request, IActionResult result)
    {
        await result.ExecuteResultAsync(new ActionContext(request.HttpContext, new RouteData(), new ActionDescriptor()));
        return Read(request);
    }

    public static (int Status, string Body, IHeaderDictionary Headers) Read(HttpRequest request)
    {
        var response = request.HttpContext.Response;
        response.Body.Position = 0;
        using var reader = new StreamReader(response.Body, Encoding.UTF8, leaveOpen: true);
        return (response.StatusCode, reader.ReadToEnd(), response.Headers);
    }

    /// <summary>Every event the app sent to the service with send-to-all, in order, with the filter used.</summary>
    public IReadOnlyList<(RealtimeEvent Event, string? Filter)> Broadcasts() =>
        [.. Service.Invocations
            .Where(i => i.Method.Name == nameof(IWebPubSubServiceClient.SendToAllAsync))
            .Select(i => (EventSerializer.FromUtf8(((WebPubSubMessage)i.Arguments[0]!).Data.Span), ((WebPubSubSendOptions?)i.Arguments[1])?.Filter))];

    /// <summary>Every message the app sent to one connection.</summary>
    public IReadOnlyList<(string ConnectionId, RealtimeEvent Event)> Direct() =>
        [.. Service.Invocations
            .Where(i => i.Method.Name == nameof(IWebPubSubServiceClient.SendToConnectionAsync))
            .Select(i => ((string)i.Arguments[0]!, EventSerializer.FromUtf8(((WebPubSubMessage)i.Arguments[1]!).Data.Span)))];

    public static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in Services.GetServices<IHostedService>())
        {
            (hosted as IDisposable)?.Dispose();
        }

        await Services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may outlive the test by a moment; the temp folder is cleaned by the OS.
        }
    }
}
