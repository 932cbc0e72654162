using System.Diagnostics.CodeAnalysis;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Auth;

/// <summary>
/// The result of validating an app token. <see cref="Succeeded"/> means <see cref="Identity"/> is set;
/// otherwise <see cref="ErrorCode"/> is <see cref="ErrorCodes.Unauthorized"/> (the token is bad: terminal for the
/// client) or <see cref="ErrorCodes.InternalError"/> (signing keys could not be fetched: retry later).
/// </summary>
public sealed record TokenValidationOutcome(ConnectionIdentity? Identity, string? ErrorCode, string? ErrorMessage, DateTimeOffset? ExpiresAt)
{
    [MemberNotNullWhen(true, nameof(Identity))]
    [MemberNotNullWhen(false, nameof(ErrorCode), nameof(ErrorMessage))]
    public bool Succeeded => Identity is not null;

    public static TokenValidationOutcome Success(ConnectionIdentity identity, DateTimeOffset expiresAt) => new(identity, null, null, expiresAt);

    public static TokenValidationOutcome Unauthorized(string message) => new(null, ErrorCodes.Unauthorized, message, null);

    public static TokenValidationOutcome ServerError(string message) => new(null, ErrorCodes.InternalError, message, null);
}

/// <summary>Validates app JWTs (issuer, audience, lifetime, algorithm allow-list, signature, claims).</summary>
public interface IAppTokenValidator
{
    /// <summary>Validates <paramref name="token"/>. Does not throw for bad tokens or unreachable key endpoints.</summary>
    Task<TokenValidationOutcome> ValidateAsync(string? token, CancellationToken cancellationToken);
}
