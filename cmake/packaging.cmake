# Packaging: the install layout and the Debian package (CPack DEB), built with
#   cpack -G DEB --config <build>/CPackConfig.cmake
# from any build tree (tests/package_test.sh does it from build/test and checks the
# result with lintian, systemd-analyze and an install into a scratch root).
#
# Layout (the unit and the env file hard-code these paths):
#   /usr/bin/shopfloor
#   /usr/share/shopfloor/sql        migrations and seed/ (SHOPFLOOR_SQL_DIR, set in the env file)
#   /usr/share/shopfloor/web        the console (SHOPFLOOR_WEB_DIR's default: beside sql/)
#   /etc/shopfloor/shopfloor.env    every setting, commented (a conffile), generated
#                                   from `shopfloor config` by deploy/make-env-file.sh
#   /lib/systemd/system/shopfloor.service, /usr/lib/sysusers.d/shopfloor.conf
#   /usr/share/doc/shopfloor/       copyright, changelog.Debian.gz, configuration.md
#   /usr/share/man/man1/shopfloor.1.gz
# The package version is PROJECT_VERSION-1; deploy/debian/changelog must start with it.
set(SHOPFLOOR_PACKAGE_RELEASE 1)
set(SHOPFLOOR_PACKAGED_SQL_DIR /usr/share/shopfloor/sql)
set(SHOPFLOOR_DEPLOY ${PROJECT_SOURCE_DIR}/deploy)
set(SHOPFLOOR_PACKAGE_FILES ${CMAKE_BINARY_DIR}/package-files)

# Files made at build time: the env file from the binary's settings table, and the
# compressed changelog and man page (gzip -9n: maximal, no timestamp, as lintian wants).
add_custom_command(
  OUTPUT ${SHOPFLOOR_PACKAGE_FILES}/shopfloor.env
  COMMAND sh ${SHOPFLOOR_DEPLOY}/make-env-file.sh $<TARGET_FILE:shopfloor>
          ${SHOPFLOOR_DEPLOY}/shopfloor.env.head ${SHOPFLOOR_PACKAGE_FILES}/shopfloor.env
          SHOPFLOOR_SQL_DIR=${SHOPFLOOR_PACKAGED_SQL_DIR}
  DEPENDS shopfloor ${SHOPFLOOR_DEPLOY}/make-env-file.sh ${SHOPFLOOR_DEPLOY}/shopfloor.env.head
  COMMENT "Generating shopfloor.env from `shopfloor config`")
foreach(pair "debian/changelog:changelog.Debian.gz" "man/shopfloor.1:shopfloor.1.gz")
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 source)
  list(GET pair 1 target)
  add_custom_command(
    OUTPUT ${SHOPFLOOR_PACKAGE_FILES}/${target}
    COMMAND gzip -9nc ${SHOPFLOOR_DEPLOY}/${source} > ${SHOPFLOOR_PACKAGE_FILES}/${target}
    DEPENDS ${SHOPFLOOR_DEPLOY}/${source})
endforeach()
file(MAKE_DIRECTORY ${SHOPFLOOR_PACKAGE_FILES})
add_custom_target(shopfloor_package_files ALL
  DEPENDS ${SHOPFLOOR_PACKAGE_FILES}/shopfloor.env ${SHOPFLOOR_PACKAGE_FILES}/changelog.Debian.gz
          ${SHOPFLOOR_PACKAGE_FILES}/shopfloor.1.gz)

# Directories 0755 whatever the umask of the build (lintian checks them).
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
install(TARGETS shopfloor RUNTIME DESTINATION bin)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sql/ DESTINATION share/shopfloor/sql
        FILES_MATCHING PATTERN "*.sql")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/ DESTINATION share/shopfloor/web)
install(FILES ${SHOPFLOOR_PACKAGE_FILES}/shopfloor.env DESTINATION /etc/shopfloor)
install(FILES ${SHOPFLOOR_DEPLOY}/systemd/shopfloor.service DESTINATION /lib/systemd/system)
install(FILES ${SHOPFLOOR_DEPLOY}/systemd/shopfloor.sysusers DESTINATION lib/sysusers.d
        RENAME shopfloor.conf)
install(FILES ${SHOPFLOOR_DEPLOY}/debian/copyright ${SHOPFLOOR_PACKAGE_FILES}/changelog.Debian.gz
              ${PROJECT_SOURCE_DIR}/docs/configuration.md
        DESTINATION share/doc/shopfloor)
install(FILES ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md DESTINATION share/doc/shopfloor OPTIONAL)
install(FILES ${SHOPFLOOR_PACKAGE_FILES}/shopfloor.1.gz DESTINATION share/man/man1)
install(FILES ${SHOPFLOOR_DEPLOY}/debian/lintian-overrides DESTINATION share/lintian/overrides
        RENAME shopfloor OPTIONAL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME shopfloor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
set(CPACK_PACKAGE_CONTACT "Shopfloor maintainers <maintainers@users.noreply.b-seed-f6479a08.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "MES, Pricing and Shop APIs with a cache-aside layer")
# The extended description; CPack puts the summary above it and indents it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Shopfloor serves a manufacturer's production orders and their status
workflow (the MES API and its operator console), product cost calculations
(the Pricing API) and the shop catalog (the Shop API). Reads go through a
cache on Redis or Valkey that never serves a stale order or price and fails
open to PostgreSQL when the cache is down.

The package installs the shopfloor binary, its database migrations and demo
data, a hardened systemd unit and a commented configuration file.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SHOPFLOOR_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# systemd: the unit and systemd-sysusers (postinst).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SHOPFLOOR_DEPLOY}/debian/conffiles ${SHOPFLOOR_DEPLOY}/debian/postinst
    ${SHOPFLOOR_DEPLOY}/debian/prerm ${SHOPFLOOR_DEPLOY}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE)
include(CPack)
