using RestaurantOs.DevHost;

try
{
    var app = DevHostApp.Create(args);
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (PortInUseException ex)
{
    // One line a person can act on, not a stack trace.
    await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
    return 1;
}
