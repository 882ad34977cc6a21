namespace Patron.Api;

/// <summary>
/// A query parameter an endpoint reads itself from <see cref="HttpRequest.Query"/>, described for the
/// OpenAPI document (<see cref="OpenApiConventions"/>). Lists get <c>limit</c>, <c>page</c> and
/// <c>starting_after</c> without saying so; their filters are named with
/// <see cref="QueryParameterExtensions.WithQuery"/>.
/// </summary>
public sealed record QueryParameter(string Name, string Description, string Type = "string", string[]? Values = null, int? Minimum = null, int? Maximum = null)
{
    public static QueryParameter Text(string name, string description) => new(name, description);

    public static QueryParameter OneOf(string name, string description, params string[] values) => new(name, description, Values: values);

    public static QueryParameter Boolean(string name, string description) => new(name, description, "boolean");

    public static QueryParameter Integer(string name, string description, int minimum, int maximum) =>
        new(name, description, "integer", Minimum: minimum, Maximum: maximum);

    /// <summary>A customer given by any of its references, as the <c>customer_id</c> filters take it.</summary>
    public static QueryParameter Customer(string name = "customer_id") =>
        new(name, "A customer's id, external_id, email, phone or QR value; one that names no customer gives an empty list.");
}

/// <summary>The query parameters an endpoint reads, as endpoint metadata.</summary>
public sealed record QueryParametersMetadata(IReadOnlyList<QueryParameter> Parameters);

public static class QueryParameterExtensions
{
    /// <summary>Documents the query parameters (filters) the endpoint reads, besides the paging ones.</summary>
    public static RouteHandlerBuilder WithQuery(this RouteHandlerBuilder builder, params QueryParameter[] parameters) =>
        builder.WithMetadata(new QueryParametersMetadata(parameters));
}
