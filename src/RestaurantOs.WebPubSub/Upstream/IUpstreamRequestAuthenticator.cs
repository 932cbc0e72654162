using Microsoft.AspNetCore.Http;

namespace RestaurantOs.WebPubSub.Upstream;

/// <summary>
/// Authenticates an upstream request when there is no access key to check <c>ce-signature</c> with (identity mode):
/// Web PubSub then sends a Microsoft Entra ID bearer token obtained with its managed identity (event handler
/// <c>auth.type = ManagedIdentity</c>). <see cref="WebPubSubUpstreamCodec"/> calls it for every event and refuses the
/// request with 401 unless it succeeds; the implementation lives with the app's token validation.
/// </summary>
public interface IUpstreamRequestAuthenticator
{
    /// <summary>Checks the request's credentials. Does not throw for bad or missing credentials.</summary>
    Task<UpstreamAuthentication> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken);
}

/// <summary>The outcome of <see cref="IUpstreamRequestAuthenticator.AuthenticateAsync"/>.</summary>
/// <param name="Succeeded">The request is from our Web PubSub service.</param>
/// <param name="ServerFault">The check could not be made (e.g. signing keys unreachable): answered 500, not 401.</param>
/// <param name="Error">Why the request was refused; null on success.</param>
public readonly record struct UpstreamAuthentication(bool Succeeded, bool ServerFault, string? Error)
{
    public static UpstreamAuthentication Success { get; } = new(true, false, null);

    public static UpstreamAuthentication Refused(string error) => new(false, false, error);

    public static UpstreamAuthentication Unavailable(string error) => new(false, true, error);
}
