using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

using RestaurantOs.Realtime.Presence;

namespace RestaurantOs.Realtime.Auth;

/// <summary>
/// Validates app JWTs: the signature, algorithm, issuer, audience and lifetime checks are <see cref="SignedJwtValidator"/>'s
/// (keys cached, results never cached, so an expired token is rejected on its next use); this class adds the app's
/// claims (<c>sub</c>, <c>restaurant_id</c>, <c>role</c>, <c>order_ids</c>).
/// </summary>
internal sealed partial class AppTokenValidator : IAppTokenValidator
{
    public const string HttpClientName = "RestaurantOs.Auth.Metadata";

    /// <summary>Most order ids one customer token may grant; each becomes routing groups.</summary>
    public const int MaxOrderIds = 20;

    private const int MaxSubjectLength = 256;

    private readonly ILogger<AppTokenValidator> _logger;
    private readonly SignedJwtValidator _jwt;

    public AppTokenValidator(IOptions<AppJwtOptions> options, IHttpClientFactory httpClientFactory, TimeProvider timeProvider, ILogger<AppTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        var o = options.Value;
        _logger = logger;
        _jwt = new SignedJwtValidator(
            new SignedJwtRules
            {
                Issuers = [o.Issuer ?? throw new InvalidOperationException($"{AppJwtOptions.SectionName}:Issuer is required.")],
                Audiences = [o.Audience ?? throw new InvalidOperationException($"{AppJwtOptions.SectionName}:Audience is required.")],
                Algorithms = o.GetAllowedAlgorithms(),
                // The current secret first, then earlier ones still honoured during a rotation.
                SecretKeys = string.IsNullOrEmpty(o.SigningKey) ? [] : [o.SigningKey, .. o.PreviousSigningKeys],
                Authority = o.Authority,
                JwksUrl = o.JwksUrl,
                RequireHttpsMetadata = o.RequireHttpsMetadata,
                ClockSkew = TimeSpan.FromSeconds(o.ClockSkewSeconds),
            },
            httpClientFactory,
            HttpClientName,
            timeProvider);
    }

    public async Task<TokenValidationOutcome> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        var result = await _jwt.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (result.ServerFault)
        {
            Log.SigningKeysUnavailable(_logger, result.Exception);
            return TokenValidationOutcome.ServerError(result.Error!);
        }

        if (!result.Succeeded)
        {
            Log.TokenRejected(_logger, result.Error, result.Exception);
            return TokenValidationOutcome.Unauthorized(result.Error);
        }

        return ReadIdentity(result.Token);
    }

    private TokenValidationOutcome ReadIdentity(JsonWebToken jwt)
    {
        var subject = jwt.Subject;
        if (string.IsNullOrWhiteSpace(subject) || subject.Length > MaxSubjectLength)
        {
            return Reject("The token has no valid 'sub' claim.");
        }

        if (!jwt.TryGetPayloadValue<string>("restaurant_id", out var restaurantText)
            || !Guid.TryParse(restaurantText, out var restaurantId) || restaurantId == Guid.Empty)
        {
            return Reject("The token has no valid 'restaurant_id' claim (a UUID).");
        }

        if (!jwt.TryGetPayloadValue<string>("role", out var roleText) || !RoleNames.TryParse(roleText, out var role))
        {
            return Reject("The token has no valid 'role' claim.");
        }

        IReadOnlyList<Guid> orderIds = [];
        if (role == Role.Customer)
        {
            var parsed = ReadOrderIds(jwt);
            if (parsed is null || parsed.Count == 0)
            {
                return Reject("A customer token needs 'order_ids' (UUIDs).");
            }

            if (parsed.Count > MaxOrderIds)
            {
                return Reject($"A customer token may grant at most {MaxOrderIds} orders.");
            }

            orderIds = parsed;
        }

        string? station = null, device = null;
        if (jwt.TryGetPayloadValue<string>("station", out var stationText) && !StationNames.IsValid(station = stationText))
        {
            return Reject($"The token's 'station' claim must be 1-{StationNames.MaxLength} of letters, digits, '.', '_' or '-'.");
        }

        if (jwt.TryGetPayloadValue<string>("device", out var deviceText) && !StationNames.IsValid(device = deviceText))
        {
            return Reject($"The token's 'device' claim must be 1-{StationNames.MaxLength} of letters, digits, '.', '_' or '-'.");
        }

        var identity = new ConnectionIdentity(subject, restaurantId, role.Value, orderIds, station, device);
        return TokenValidationOutcome.Success(identity, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
    }

    /// <summary>Reads <c>order_ids</c> as a JSON array of UUID strings or one space/comma separated string; null when invalid.</summary>
    private static List<Guid>? ReadOrderIds(JsonWebToken jwt)
    {
        string[]? parts = null;
        if (jwt.TryGetPayloadValue<string[]>("order_ids", out var array) && array is not null)
        {
            parts = array;
        }
        else if (jwt.TryGetPayloadValue<string>("order_ids", out var text) && text is not null)
        {
            parts = [text];
        }

        if (parts is null)
        {
            return null;
        }

        var ids = new List<Guid>();
        foreach (var part in parts)
        {
            if (part is null)
            {
                return null;
            }

            foreach (var piece in part.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Guid.TryParse(piece, out var id) || id == Guid.Empty)
                {
                    return null;
                }

                if (!ids.Contains(id))
                {
                    ids.Add(id);
                }
            }
        }

        return ids;
    }

    private TokenValidationOutcome Reject(string reason)
    {
        Log.TokenRejected(_logger, reason, null);
        return TokenValidationOutcome.Unauthorized(reason);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "App token rejected: {Reason}")]
        public static partial void TokenRejected(ILogger logger, string reason, Exception? exception);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Signing keys could not be retrieved")]
        public static partial void SigningKeysUnavailable(ILogger logger, Exception? exception);
    }
}
