using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace RestaurantOs.Realtime.Auth;

/// <summary>
/// Issues HS256 app tokens with the claims <see cref="IAppTokenValidator"/> reads. For tests and the
/// development-only token endpoint; production tokens come from the identity provider.
/// </summary>
public static class AppTokenIssuer
{
    public static string CreateHs256(
        string secret,
        string issuer,
        string audience,
        string subject,
        Guid restaurantId,
        Role role,
        IEnumerable<Guid>? orderIds,
        DateTimeOffset notBefore,
        DateTimeOffset expires,
        string? station = null,
        string? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Sub] = subject,
            ["restaurant_id"] = restaurantId.ToString("D"),
            ["role"] = RoleNames.ToClaim(role),
        };
        var ids = orderIds?.Select(id => id.ToString("D")).ToList();
        if (ids is { Count: > 0 })
        {
            claims["order_ids"] = ids;
        }

        if (station is not null)
        {
            claims["station"] = station;
        }

        if (device is not null)
        {
            claims["device"] = device;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = notBefore.UtcDateTime,
            NotBefore = notBefore.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }
}
