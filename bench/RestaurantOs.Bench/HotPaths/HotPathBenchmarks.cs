using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.Bench.HotPaths;

/// <summary>Runs the hot-path benchmarks: a short job, in process (no per-benchmark project build on a shared machine).</summary>
internal static class HotPathRunner
{
    public static int Run(string[] args)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summaries = BenchmarkSwitcher.FromTypes([typeof(HotPathBenchmarks)]).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}

/// <summary>
/// The per-message and per-event work: token validation (every connect and <c>auth</c>), client message parsing
/// (every message), routing (every event and subscription change), upstream request decoding (every upstream call).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
public class HotPathBenchmarks : IDisposable
{
    private const string Secret = "bench-only-signing-key-0123456789-abcdef";
    private const string AccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
    private static readonly Guid Restaurant = Guid.Parse("11111111-1111-1111-1111-111111111111");
    private static readonly Guid OrderId = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

    private readonly byte[] _subscribe = """{"type":"subscribe","events":["order:created","order:status"],"filters":{"table_number":"T5"}}"""u8.ToArray();
    private readonly byte[] _ping = """{"type":"ping"}"""u8.ToArray();
    private readonly byte[] _userEventBody = """{"type":"ping"}"""u8.ToArray();
    private readonly string _signature = UpstreamSignature.Compute("conn-1", [AccessKey]);
    private readonly byte[] _accessKeyBytes = Encoding.UTF8.GetBytes(AccessKey);
    private readonly byte[] _signingInput = new byte[200];
    private ServiceProvider _services = null!;
    private IAppTokenValidator _validator = null!;
    private JsonWebTokenHandler _bareHandler = null!;
    private TokenValidationParameters _bareParameters = null!;
    private WebPubSubUpstreamCodec _codec = null!;
    private string _token = null!;
    private RealtimeEvent _event = null!;
    private ConnectionIdentity _kitchen = null!;
    private SubscriptionSet _filtered = null!;

    [GlobalSetup]
    public void Setup()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Issuer"] = "bench",
            ["Auth:Audience"] = "restaurant-os",
            ["Auth:SigningKey"] = Secret,
        }).Build();
        _services = new ServiceCollection().AddLogging().AddAppTokenValidation(configuration).BuildServiceProvider();
        _validator = _services.GetRequiredService<IAppTokenValidator>();
        var now = DateTimeOffset.UtcNow;
        _token = AppTokenIssuer.CreateHs256(Secret, "bench", "restaurant-os", "user-1", Restaurant, Role.Kitchen, null, now.AddMinutes(-1), now.AddHours(4));

        _bareHandler = new JsonWebTokenHandler { MapInboundClaims = false };
        _bareParameters = new TokenValidationParameters
        {
            ValidIssuer = "bench",
            ValidAudience = "restaurant-os",
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Secret)),
            ValidAlgorithms = ["HS256"],
        };

        var upstream = new WebPubSubUpstreamOptions();
        upstream.AccessKeys.Add(AccessKey);
        upstream.AllowedOrigins.Add("127.0.0.1");
        _codec = new WebPubSubUpstreamCodec(Options.Create(upstream));

        _event = new RealtimeEvent
        {
            Type = EventTypes.OrderCreated,
            Id = "order:6f9619ff8b86d011b42d00c04fc964ff:v1:order:created",
            RestaurantId = Restaurant,
            Seq = 42,
            Data = JsonDocument.Parse("{}").RootElement,
            Timestamp = now,
            Scope = new EventScope(OrderId, "T5"),
        };
        _kitchen = new ConnectionIdentity("user-1", Restaurant, Role.Kitchen, []);
        var parsed = ClientMessageParser.Parse(_subscribe).Message as SubscribeMessage
            ?? throw new InvalidOperationException("The subscribe fixture did not parse.");
        _filtered = SubscriptionRules.Apply(_kitchen, SubscriptionSet.Default, parsed).Next;
    }

    [Benchmark(Baseline = true, Description = "baseline: JsonWebTokenHandler.ValidateTokenAsync (same key, no claim checks)")]
    [BenchmarkCategory("jwt")]
    public async Task<bool> ValidateTokenBare() => (await _bareHandler.ValidateTokenAsync(_token, _bareParameters).ConfigureAwait(false)).IsValid;

    [Benchmark(Description = "AppTokenValidator.ValidateAsync (HS256)")]
    [BenchmarkCategory("jwt")]
    public async Task<bool> ValidateToken() => (await _validator.ValidateAsync(_token, CancellationToken.None).ConfigureAwait(false)).Succeeded;

    [Benchmark(Baseline = true, Description = "baseline: JsonDocument.Parse (same subscribe frame)")]
    [BenchmarkCategory("parse")]
    public int ParseBare()
    {
        using var document = JsonDocument.Parse(_subscribe);
        return document.RootElement.GetProperty("events").GetArrayLength();
    }

    [Benchmark(Description = "ClientMessageParser.Parse subscribe+filter")]
    [BenchmarkCategory("parse")]
    public bool ParseSubscribe() => ClientMessageParser.Parse(_subscribe).Succeeded;

    [Benchmark(Description = "ClientMessageParser.Parse ping")]
    [BenchmarkCategory("parse")]
    public bool ParsePing() => ClientMessageParser.Parse(_ping).Succeeded;

    [Benchmark(Baseline = true, Description = "baseline: format one group name by hand")]
    [BenchmarkCategory("routing")]
    public int OneGroupName() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"r.{Restaurant:N}.e.{_event.Type}").Length;

    [Benchmark(Description = "GroupRouting.GroupsForEvent")]
    [BenchmarkCategory("routing")]
    public int GroupsForEvent() => GroupRouting.GroupsForEvent(_event).Count;

    [Benchmark(Description = "GroupRouting.SendFilter")]
    [BenchmarkCategory("routing")]
    public int SendFilter() => GroupRouting.SendFilter(_event).Length;

    [Benchmark(Description = "GroupRouting.GroupsFor (kitchen, default)")]
    [BenchmarkCategory("routing")]
    public int GroupsForDefault() => GroupRouting.GroupsFor(_kitchen, SubscriptionSet.Default).Count;

    [Benchmark(Description = "GroupRouting.GroupsFor (kitchen, filtered)")]
    [BenchmarkCategory("routing")]
    public int GroupsForFiltered() => GroupRouting.GroupsFor(_kitchen, _filtered).Count;

    [Benchmark(Baseline = true, Description = "baseline: build the same DefaultHttpContext request, no decoding")]
    [BenchmarkCategory("upstream")]
    public int BuildUpstreamRequestOnly() => BuildUpstreamRequest().Headers.Count;

    [Benchmark(Description = "WebPubSubUpstreamCodec.ReadRequestAsync (user event)")]
    [BenchmarkCategory("upstream")]
    public async Task<bool> DecodeUpstream() =>
        await _codec.ReadRequestAsync(BuildUpstreamRequest(), CancellationToken.None).ConfigureAwait(false) is not null;

    private HttpRequest BuildUpstreamRequest()
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = "POST";
        request.ContentType = "application/json";
        request.ContentLength = _userEventBody.Length;
        request.Body = new MemoryStream(_userEventBody, writable: false);
        var headers = request.Headers;
        headers[WebPubSubConstants.Headers.WebHookRequestOrigin] = "127.0.0.1";
        headers[WebPubSubConstants.Headers.CloudEvents.SpecVersion] = "1.0";
        headers[WebPubSubConstants.Headers.CloudEvents.Type] = "azure.webpubsub.user.message";
        headers[WebPubSubConstants.Headers.CloudEvents.Hub] = "restaurant";
        headers[WebPubSubConstants.Headers.CloudEvents.ConnectionId] = "conn-1";
        headers[WebPubSubConstants.Headers.CloudEvents.EventName] = "message";
        headers[WebPubSubConstants.Headers.CloudEvents.Signature] = _signature;
        headers[WebPubSubConstants.Headers.CloudEvents.AwpsVersion] = "1.0";
        return request;
    }

    [Benchmark(Baseline = true, Description = "baseline: HMACSHA256.HashData over a JWT-sized input")]
    [BenchmarkCategory("rest")]
    public int HmacOnly() => System.Security.Cryptography.HMACSHA256.HashData(_accessKeyBytes, _signingInput).Length;

    [Benchmark(Description = "AccessKeyToken.Create (REST call token)")]
    [BenchmarkCategory("rest")]
    public int RestToken() => AccessKeyToken.Create(AccessKey, "http://127.0.0.1:3001/api/hubs/restaurant/:send?api-version=2024-01-01", TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow).Length;

    [GlobalCleanup]
    public void Dispose()
    {
        _codec?.Dispose();
        _services?.Dispose();
        GC.SuppressFinalize(this);
    }
}
