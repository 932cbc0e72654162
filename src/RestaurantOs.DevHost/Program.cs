using RestaurantOs.DevHost;

var app = DevHostApp.Create(args);
await app.RunAsync().ConfigureAwait(false);
