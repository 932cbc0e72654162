using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using RestaurantOs.Functions.Composition;
using RestaurantOs.Functions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<ExceptionHandlingMiddleware>();
builder.Services.AddRestaurantOsRealtime(builder.Configuration);
builder.Services.AddRestaurantOsAzureMonitor(builder.Configuration);
builder.Logging.AddLogLevelSetting(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
