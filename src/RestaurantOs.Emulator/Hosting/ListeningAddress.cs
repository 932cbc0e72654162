namespace RestaurantOs.Emulator.Hosting;

/// <summary>The addresses a server listens on, as its clients can reach them.</summary>
public static class ListeningAddress
{
    /// <summary>Wildcard hosts (<c>+</c>, <c>*</c>, <c>0.0.0.0</c>, <c>[::]</c>) become <c>localhost</c>.</summary>
    public static Uri Reachable(string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri.Host = "localhost";
        }

        return uri.Uri;
    }
}
