using Azure.Core;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Client;

/// <summary>Produces the bearer token of one REST request.</summary>
internal interface IWebPubSubRequestAuthenticator
{
    /// <summary>The access key when requests are signed locally; null with Microsoft Entra ID.</summary>
    string? AccessKey { get; }

    ValueTask<string> GetBearerTokenAsync(Uri requestUri, CancellationToken cancellationToken);
}

/// <summary>Signs an access-key JWT per request with <c>aud</c> = the full request URL, as every official SDK does.</summary>
internal sealed class AccessKeyRequestAuthenticator(string accessKey, TimeProvider timeProvider, TimeSpan lifetime) : IWebPubSubRequestAuthenticator
{
    public string? AccessKey => accessKey;

    public ValueTask<string> GetBearerTokenAsync(Uri requestUri, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AccessKeyToken.Create(accessKey, requestUri.AbsoluteUri, lifetime, timeProvider.GetUtcNow()));
}

/// <summary>
/// Microsoft Entra ID bearer tokens for scope <c>https://webpubsub.azure.com/.default</c>, cached until five minutes
/// before expiry (or the credential's refresh hint) so a send does not wait on the identity endpoint.
/// </summary>
internal sealed class TokenCredentialRequestAuthenticator(TokenCredential credential, TimeProvider timeProvider) : IWebPubSubRequestAuthenticator, IDisposable
{
    public const string Scope = "https://webpubsub.azure.com/.default";

    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _refreshLock = new(1, 1);

    // Readers take no lock: the cache is an immutable object swapped by reference, so a reader never sees a torn
    // token/expiry pair (AccessToken itself is a multi-field struct).
    private volatile CachedToken? _cached;

    public string? AccessKey => null;

    public async ValueTask<string> GetBearerTokenAsync(Uri requestUri, CancellationToken cancellationToken)
    {
        if (TryGetFresh(out var token))
        {
            return token;
        }

        await _refreshLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller may have refreshed while this one waited.
            if (TryGetFresh(out token))
            {
                return token;
            }

            var fresh = await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken).ConfigureAwait(false);
            _cached = new CachedToken(fresh.Token, fresh.ExpiresOn, fresh.RefreshOn);
            return fresh.Token;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    public void Dispose() => _refreshLock.Dispose();

    private bool TryGetFresh(out string token)
    {
        token = string.Empty;
        var cached = _cached;
        if (cached is null)
        {
            return false;
        }

        var now = timeProvider.GetUtcNow();
        var refreshAt = cached.RefreshOn ?? cached.ExpiresOn - RefreshMargin;
        if (now >= refreshAt || now >= cached.ExpiresOn - RefreshMargin)
        {
            return false;
        }

        token = cached.Token;
        return true;
    }

    private sealed record CachedToken(string Token, DateTimeOffset ExpiresOn, DateTimeOffset? RefreshOn);
}
