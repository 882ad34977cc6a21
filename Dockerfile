# syntax=docker/dockerfile:1
# Patron's container image: built with the .NET SDK, run on the ASP.NET Core runtime as a non-root
# user, data in the /data volume. See docs/OPERATIONS.md.
#   docker build -t patron .
#   docker run -d -p 8080:8080 -v patron-data:/data --name patron patron

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so that a change to the code reuses the restore layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Patron/Patron.csproj src/Patron/
RUN dotnet restore src/Patron/Patron.csproj
COPY src/Patron/ src/Patron/
RUN dotnet publish src/Patron/Patron.csproj -c Release --no-restore -o /app -p:UseAppHost=true

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The image's non-root user (APP_UID, 1654) owns the data folder; nothing else is writable by it.
RUN mkdir /data && chown "$APP_UID" /data
USER $APP_UID
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_HTTP_PORTS= \
    Patron__DataDir=/data
VOLUME /data
EXPOSE 8080
# Ready: the database answers. `patron healthcheck` needs no curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/app/Patron", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/app/Patron"]
CMD ["serve"]
