using RestaurantOs.Emulator;
using RestaurantOs.Emulator.Hosting;

var builder = WebApplication.CreateBuilder(args);
EmulatorHost.UseDefaultUrlsIfUnset(builder);
builder.Services.AddWebPubSubEmulator(builder.Configuration);
var app = builder.Build();
app.MapWebPubSubEmulator();
EmulatorHost.PrintConnectionStringOnStart(app);
await app.RunAsync().ConfigureAwait(false);
