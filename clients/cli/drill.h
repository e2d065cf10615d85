// `renrakumo drill`: the national contact-confirmation drill. The Cabinet Secretariat sends an
// exercise advisory down the whole chain (Cabinet → ministries → associations → operators),
// waits for acknowledgements, and reports reach and acknowledgement rate at each stage.
#pragma once

#include <string>

#include "lib/client.h"

namespace renrakumo::cli {

struct DrillOptions {
  std::string title = "Contact-confirmation drill: acknowledge receipt";
  std::string message_id;  // default: random
  int wait_s = 60;         // how long to wait for acknowledgements
};

// Returns the process exit code: 0 when every recipient acknowledged, 4 when some did not.
int RunDrill(client::Client& cabinet, const DrillOptions& options);

}  // namespace renrakumo::cli
