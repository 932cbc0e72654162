namespace RestaurantOs.EndToEnd.Tests.Infrastructure;

/// <summary>Files of the repository the tests check against (the docs are part of the contract).</summary>
internal static class RepoFiles
{
    /// <summary>The repository root (the folder holding RestaurantOs.Functions.sln).</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RestaurantOs.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"RestaurantOs.Functions.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The path of <c>docs/{name}</c>, found by walking up from the test binaries.</summary>
    public static string Docs(string name) => Path.Combine(Root(), "docs", name);
}
